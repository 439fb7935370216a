"""Undo a response's Content-Encoding (gzip, deflate) while it streams, in bounded pieces.

``Inflater.feed`` turns each received chunk into decoded pieces of at most ``PIECE`` bytes, so
the caller can stop at its size cap having held no more than the cap plus one piece: a
compression bomb (a few hundred kilobytes that inflate to gigabytes) is never inflated whole.
Only gzip (several members too) and deflate (zlib-wrapped or, as some servers send it, raw) are
understood, which is what ``fetch`` asks for in Accept-Encoding; brotli and zstd are left out
(optional packages, and servers only send them when asked).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

PIECE = 64 * 1024
ACCEPT_ENCODING = "gzip, deflate"


class EncodingError(ValueError):
    """The body's Content-Encoding is unknown, or the body is not validly encoded."""


class _Stage:
    """One layer of encoding, undone incrementally."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._started = False
        self._obj = self._new()

    def _new(self) -> zlib._Decompress:
        return zlib.decompressobj(31 if self.kind == "gzip" else 15)

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data:
            try:
                out = self._obj.decompress(data, PIECE)
            except zlib.error as err:
                if self.kind == "deflate" and not self._started:
                    # "deflate" without its zlib header: some servers send raw deflate.
                    self._obj = zlib.decompressobj(-15)
                    self._started = True
                    continue
                raise EncodingError(f"the body is not valid {self.kind} ({err})") from None
            self._started = True
            if out:
                yield out
            data = self._obj.unconsumed_tail
            if self._obj.eof:
                rest = self._obj.unused_data
                if self.kind == "gzip" and rest.startswith(b"\x1f\x8b"):
                    self._obj = self._new()  # another gzip member follows
                    data = rest
                else:
                    return  # trailing bytes after the stream are ignored, as browsers do

    def flush(self) -> bytes:
        return self._obj.flush() if not self._obj.eof else b""


class Inflater:
    """Decodes a body sent with the given Content-Encoding header value ("" for none)."""

    def __init__(self, content_encoding: str) -> None:
        layers = [e.strip().lower() for e in content_encoding.split(",") if e.strip()]
        stages = []
        for layer in layers:
            if layer in ("identity", ""):
                continue
            if layer in ("gzip", "x-gzip"):
                stages.append(_Stage("gzip"))
            elif layer == "deflate":
                stages.append(_Stage("deflate"))
            else:
                raise EncodingError(f"unsupported Content-Encoding {layer!r} (only gzip and deflate are read)")
        # Encodings are listed in the order applied, so they are undone last first.
        self._stages = list(reversed(stages))

    @property
    def encoded(self) -> bool:
        return bool(self._stages)

    def feed(self, data: bytes) -> Iterator[bytes]:
        yield from self._through(data, 0)

    def flush(self) -> Iterator[bytes]:
        for i, stage in enumerate(self._stages):
            tail = stage.flush()
            if tail:
                yield from self._through(tail, i + 1)

    def _through(self, data: bytes, start: int) -> Iterator[bytes]:
        if start == len(self._stages):
            if data:
                yield data
            return
        for piece in self._stages[start].feed(data):
            yield from self._through(piece, start + 1)
