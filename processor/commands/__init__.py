"""The ``otel-carbon`` subcommands but ``serve`` (which is ``otel_carbon.processor.service``); ``cli`` wires them."""
