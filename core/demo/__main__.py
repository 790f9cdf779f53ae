from otel_carbon.demo.voice_agent import main

main()
