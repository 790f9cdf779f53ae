"""A plain application: no OpenTelemetry code at all. Run by the tests under opentelemetry-instrument."""

from __future__ import annotations

import io
import os
import wave

import openai

client = openai.OpenAI(base_url=os.environ["STANDIN_BASE_URL"], api_key="test", max_retries=0)
completion = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}])
print("reply:", completion.choices[0].message.content)
audio = client.audio.speech.create(model="tts-1", voice="alloy", input="Hello there, general Kenobi.")
print("speech bytes:", len(audio.content))
buffer = io.BytesIO()
with wave.open(buffer, "wb") as recording:
    recording.setnchannels(1)
    recording.setsampwidth(2)
    recording.setframerate(8000)
    recording.writeframes(b"\x00\x00" * 8000 * 3)
transcript = client.audio.transcriptions.create(model="whisper-1", file=("hello.wav", buffer.getvalue()))
print("heard:", transcript.text)
