"""index.web.net.inflate: Content-Encoding undone in bounded pieces, whatever the compression ratio."""

from __future__ import annotations

import gzip
import zlib

import pytest

from index.web.net.inflate import PIECE, EncodingError, Inflater


def _decode(encoding: str, body: bytes, step: int = 4096) -> list[bytes]:
    inflater = Inflater(encoding)
    pieces: list[bytes] = []
    for start in range(0, len(body), step):
        pieces.extend(inflater.feed(body[start : start + step]))
    pieces.extend(inflater.flush())
    return pieces


def test_a_highly_compressed_chunk_comes_out_in_bounded_pieces() -> None:
    body = gzip.compress(bytes(8 * 2**20))  # 8 MB of zeros in ~8 KB
    pieces = _decode("gzip", body, step=len(body))  # all of it in one chunk
    assert b"".join(pieces) == bytes(8 * 2**20)
    assert max(len(p) for p in pieces) <= PIECE and len(pieces) >= 8 * 2**20 // PIECE


def test_layers_members_and_identity() -> None:
    text = b"news " * 1000
    assert b"".join(_decode("gzip", gzip.compress(text[:10]) + gzip.compress(text[10:]))) == text
    assert b"".join(_decode("deflate, gzip", gzip.compress(zlib.compress(text)))) == text
    assert b"".join(_decode("identity", text)) == text and not Inflater("").encoded
    assert b"".join(_decode("x-gzip", gzip.compress(text) + b"\x00\x00junk")) == text  # trailing bytes ignored


def test_bad_or_unknown_encodings_are_errors() -> None:
    with pytest.raises(EncodingError, match="not valid gzip"):
        _decode("gzip", b"this is not gzip at all")
    with pytest.raises(EncodingError, match="unsupported Content-Encoding 'zstd'"):
        Inflater("zstd")
