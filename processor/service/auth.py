"""Bearer-token check on incoming calls. The token is compared in constant time and never logged."""

from __future__ import annotations

import hmac
from collections.abc import Iterable


class BearerAuth:
    def __init__(self, token: str | None) -> None:
        self._expected = None if token is None else token.encode("ascii")

    @property
    def enabled(self) -> bool:
        return self._expected is not None

    def allows(self, metadata: Iterable[tuple[str, str | bytes]] | None) -> bool:
        if self._expected is None:
            return True
        presented = _bearer(metadata or ())
        return presented is not None and hmac.compare_digest(presented, self._expected)


def _bearer(metadata: Iterable[tuple[str, str | bytes]]) -> bytes | None:
    for key, value in metadata:
        if key != "authorization" or not isinstance(value, str):
            continue
        scheme, _, credentials = value.strip().partition(" ")
        if scheme.lower() == "bearer":
            try:
                return credentials.strip().encode("ascii")
            except UnicodeEncodeError:
                return None
    return None
