"""Response bodies of the OpenAI stand-in: deterministic, derived from the request's size."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import math
import struct
import wave
from typing import Any

REPLY_WORDS = ("This", "is", "the", "stand-in", "reply.")
REASONING_TOKENS = 8
EMBEDDING_DIMENSIONS = 8
SPEECH_SAMPLE_RATE = 8000
CREATED_AT = 1_767_225_600  # fixed, so that equal requests get equal responses


def estimate_tokens(value: Any) -> int:
    """Roughly four characters a token, as OpenAI's rule of thumb; at least one."""
    return max(1, len(json.dumps(value, separators=(",", ":"), ensure_ascii=False)) // 4)


def _identifier(prefix: str, request: Any) -> str:
    digest = hashlib.sha1(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()
    return f"{prefix}{digest[:24]}"


def _reply_text(schema: dict[str, Any] | None) -> str:
    if schema is None:
        return " ".join(REPLY_WORDS)
    return json.dumps(_instance_of(schema))


def _instance_of(schema: dict[str, Any]) -> Any:
    """A value satisfying a simple JSON schema (objects, arrays, scalars, enums), for structured outputs."""
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        return _instance_of(schema["anyOf"][0])
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = kind[0]
    if kind == "object":
        return {name: _instance_of(sub) for name, sub in schema.get("properties", {}).items()}
    if kind == "array":
        return [_instance_of(schema.get("items", {"type": "string"}))]
    return {"integer": 1, "number": 1.0, "boolean": True, "null": None}.get(str(kind), "stand-in")


def _words(text: str) -> list[str]:
    pieces = text.split(" ")
    return [piece + (" " if index < len(pieces) - 1 else "") for index, piece in enumerate(pieces)]


# --- chat completions ----------------------------------------------------------------------


def _chat_schema(request: dict[str, Any]) -> dict[str, Any] | None:
    response_format = request.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        return (response_format.get("json_schema") or {}).get("schema") or {"type": "object"}
    return None


def chat_usage(request: dict[str, Any], reply: str) -> dict[str, Any]:
    prompt_tokens = estimate_tokens(request.get("messages", []))
    completion_tokens = estimate_tokens(reply) + REASONING_TOKENS
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": prompt_tokens // 2, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": REASONING_TOKENS, "audio_tokens": 0},
    }


def chat_completion(request: dict[str, Any]) -> dict[str, Any]:
    reply = _reply_text(_chat_schema(request))
    usage = chat_usage(request, reply)
    limit = request.get("max_completion_tokens")
    # A token limit below the reply's length cuts it off, as OpenAI does (and still bills it).
    finish_reason = "length" if isinstance(limit, int) and limit < usage["completion_tokens"] else "stop"
    choices = [
        {
            "index": index,
            "message": {"role": "assistant", "content": reply, "refusal": None},
            "finish_reason": finish_reason,
            "logprobs": None,
        }
        for index in range(int(request.get("n") or 1))
    ]
    return {
        "id": _identifier("chatcmpl-", request),
        "object": "chat.completion",
        "created": CREATED_AT,
        "model": request.get("model", "gpt-4o-mini"),
        "choices": choices,
        "usage": usage,
        "system_fingerprint": "fp_standin",
    }


def chat_completion_events(request: dict[str, Any]) -> list[bytes]:
    """SSE ``data:`` lines; the usage chunk (empty ``choices``) only when ``include_usage`` is set."""
    reply = _reply_text(_chat_schema(request))
    include_usage = bool((request.get("stream_options") or {}).get("include_usage"))
    base = {
        "id": _identifier("chatcmpl-", request),
        "object": "chat.completion.chunk",
        "created": CREATED_AT,
        "model": request.get("model", "gpt-4o-mini"),
        "system_fingerprint": "fp_standin",
    }
    if include_usage:
        base["usage"] = None

    def chunk(delta: dict[str, Any], finish_reason: str | None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}]}

    chunks = [chunk({"role": "assistant", "content": ""}, None)]
    chunks += [chunk({"content": word}, None) for word in _words(reply)]
    chunks.append(chunk({}, "stop"))
    if include_usage:
        chunks.append({**base, "choices": [], "usage": chat_usage(request, reply)})
    return [b"data: " + json.dumps(item).encode() + b"\n\n" for item in chunks] + [b"data: [DONE]\n\n"]


# --- responses -----------------------------------------------------------------------------


def _responses_schema(request: dict[str, Any]) -> dict[str, Any] | None:
    text_format = (request.get("text") or {}).get("format") or {}
    if text_format.get("type") == "json_schema":
        return text_format.get("schema") or {"type": "object"}
    return None


def responses_usage(request: dict[str, Any], reply: str) -> dict[str, Any]:
    input_tokens = estimate_tokens([request.get("instructions"), request.get("input")])
    output_tokens = estimate_tokens(reply) + REASONING_TOKENS
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": input_tokens // 2},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": REASONING_TOKENS},
        "total_tokens": input_tokens + output_tokens,
    }


def _response_object(request: dict[str, Any], *, done: bool) -> dict[str, Any]:
    reply = _reply_text(_responses_schema(request))
    response_id = _identifier("resp_", request)
    message = {
        "type": "message",
        "id": "msg_" + response_id[5:],
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": reply, "annotations": [], "logprobs": []}],
    }
    return {
        "id": response_id,
        "object": "response",
        "created_at": CREATED_AT,
        "model": request.get("model", "gpt-4o-mini"),
        "status": "completed" if done else "in_progress",
        "output": [message] if done else [],
        "usage": responses_usage(request, reply) if done else None,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "text": request.get("text") or {"format": {"type": "text"}},
        "error": None,
        "incomplete_details": None,
    }


def response(request: dict[str, Any]) -> dict[str, Any]:
    return _response_object(request, done=True)


def response_events(request: dict[str, Any]) -> list[bytes]:
    started = _response_object(request, done=False)
    finished = _response_object(request, done=True)
    message = finished["output"][0]
    part = message["content"][0]
    item_ids = {"item_id": message["id"], "output_index": 0, "content_index": 0}
    events: list[tuple[str, dict[str, Any]]] = [
        ("response.created", {"response": started}),
        ("response.in_progress", {"response": started}),
        (
            "response.output_item.added",
            {"output_index": 0, "item": {**message, "status": "in_progress", "content": []}},
        ),
        ("response.content_part.added", {**item_ids, "part": {**part, "text": ""}}),
    ]
    events += [
        ("response.output_text.delta", {**item_ids, "delta": word, "logprobs": []}) for word in _words(part["text"])
    ]
    events += [
        ("response.output_text.done", {**item_ids, "text": part["text"], "logprobs": []}),
        ("response.content_part.done", {**item_ids, "part": part}),
        ("response.output_item.done", {"output_index": 0, "item": message}),
        ("response.completed", {"response": finished}),
    ]
    return [
        f"event: {name}\n".encode()
        + b"data: "
        + json.dumps({"type": name, "sequence_number": number, **body}).encode()
        + b"\n\n"
        for number, (name, body) in enumerate(events)
    ]


# --- embeddings ----------------------------------------------------------------------------


def _vector(text: str) -> list[float]:
    digest = hashlib.sha256(text.encode()).digest()
    return [round((byte - 128) / 128, 4) for byte in digest[:EMBEDDING_DIMENSIONS]]


def embeddings(request: dict[str, Any]) -> dict[str, Any]:
    inputs = request.get("input", "")
    items = inputs if isinstance(inputs, list) else [inputs]
    as_base64 = request.get("encoding_format") == "base64"
    data = []
    for index, item in enumerate(items):
        vector = _vector(json.dumps(item))
        encoded: Any = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode() if as_base64 else vector
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    prompt_tokens = estimate_tokens(inputs)
    return {
        "object": "list",
        "data": data,
        "model": request.get("model", "text-embedding-3-small"),
        "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
    }


# --- audio ---------------------------------------------------------------------------------


def silence_wav(seconds: float, sample_rate: int = SPEECH_SAMPLE_RATE) -> bytes:
    """``seconds`` of silence as a valid 16-bit mono WAV file."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(sample_rate)
        writer.writeframes(b"\x00\x00" * int(seconds * sample_rate))
    return buffer.getvalue()


def speech_wav(text: str) -> bytes:
    """Silence as a valid 16-bit mono WAV, 20 ms a character (0.1 s to 3 s)."""
    return silence_wav(min(3.0, max(0.1, 0.02 * len(text))))


def audio_seconds(audio: bytes) -> float:
    """Duration of an uploaded WAV; other formats are assumed to be 16 kB a second."""
    try:
        with wave.open(io.BytesIO(audio), "rb") as reader:
            return reader.getnframes() / reader.getframerate()
    except (wave.Error, EOFError, ZeroDivisionError):
        return round(len(audio) / 16000, 3)


def _timestamp(seconds: float, separator: str) -> str:
    whole = int(seconds)
    millis = int(round((seconds - whole) * 1000))
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}{separator}{millis:03d}"


def speech_to_text(task: str, model: str, response_format: str, audio: bytes) -> tuple[str, bytes]:
    """(content type, body) of a transcription (``task="transcribe"``) or translation."""
    seconds = audio_seconds(audio)
    text = f"Stand-in {task} of {seconds:g} seconds of audio."
    if response_format == "text":
        return "text/plain; charset=utf-8", (text + "\n").encode()
    if response_format == "srt":
        return (
            "text/plain; charset=utf-8",
            f"1\n{_timestamp(0, ',')} --> {_timestamp(seconds, ',')}\n{text}\n\n".encode(),
        )
    if response_format == "vtt":
        cue = f"{_timestamp(0, '.')} --> {_timestamp(seconds, '.')}\n{text}\n\n"
        return "text/vtt; charset=utf-8", f"WEBVTT\n\n{cue}".encode()
    body: dict[str, Any] = {"text": text}
    if response_format == "verbose_json":
        segment = {
            "id": 0,
            "seek": 0,
            "start": 0.0,
            "end": seconds,
            "text": text,
            "tokens": [1],
            "temperature": 0.0,
            "avg_logprob": -0.1,
            "compression_ratio": 1.0,
            "no_speech_prob": 0.0,
        }
        body.update({"task": task, "language": "english", "duration": seconds, "segments": [segment]})
        if task == "transcribe":
            body["usage"] = {"type": "duration", "seconds": seconds}
    elif task == "transcribe" and "transcribe" in model:
        audio_tokens = max(1, math.ceil(seconds * 10))
        output_tokens = estimate_tokens(text)
        body["usage"] = {
            "type": "tokens",
            "input_tokens": audio_tokens,
            "input_token_details": {"audio_tokens": audio_tokens, "text_tokens": 0},
            "output_tokens": output_tokens,
            "total_tokens": audio_tokens + output_tokens,
        }
    elif task == "transcribe":
        body["usage"] = {"type": "duration", "seconds": seconds}
    return "application/json", json.dumps(body).encode()


def transcription_events(model: str, audio: bytes) -> list[bytes]:
    """SSE events of ``stream=True`` transcriptions (gpt-4o family): text deltas, then token usage."""
    _, body = speech_to_text("transcribe", model, "json", audio)
    done = json.loads(body)
    events = [{"type": "transcript.text.delta", "delta": word} for word in _words(done["text"])]
    events.append({"type": "transcript.text.done", "text": done["text"], "usage": done.get("usage")})
    return [b"data: " + json.dumps(event).encode() + b"\n\n" for event in events]


def error_body(status: int) -> dict[str, Any]:
    kinds = {429: ("requests", "rate_limit_exceeded"), 500: ("server_error", "server_error")}
    error_type, code = kinds.get(status, ("invalid_request_error", f"http_{status}"))
    message = f"Stand-in failure: HTTP {status} as scripted by fail_next()."
    return {"error": {"message": message, "type": error_type, "param": None, "code": code}}
