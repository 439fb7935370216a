"""The one-line reasons a failed fetch gives: what went wrong, in words a reader can act on.

``connect_reason`` and ``broken_reason`` turn a connection's exception into a short reason
(refused, TLS, broken), ``short`` cuts quoted text (URLs, paths, server phrases) to a line, and
``size`` writes a byte count as a person reads it; ``CAP_HINT`` and ``WAIT_HINT`` name the
setting that lifts a limit.

Left out: deciding that something failed, and the reasons that need the fetch's policy (its
timeout, its agent): ``index.web.net.fetch`` writes those.
"""

from __future__ import annotations

import httpx

CAP_HINT = "raise NEWSRAG_FETCH_MAX_MB to fetch it"
WAIT_HINT = "raise NEWSRAG_FETCH_TIMEOUT to wait longer"


def connect_reason(err: httpx.ConnectError) -> str:
    """Why a connection could not be made: refused, TLS failed, or the error's own first line."""
    text = _first_line(err)
    low = text.lower()
    if "refused" in low:
        return "connection refused: is the site up?"
    if "certificate" in low or "ssl" in low or "tls" in low:
        return f"TLS failed ({text})"
    return f"cannot connect ({text})"


def broken_reason(err: Exception) -> str:
    """Why a connection failed after it was made (or the request could not be sent)."""
    return f"the connection failed ({_first_line(err)})"


def short(text: str, limit: int = 160) -> str:
    """``text`` cut to ``limit`` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def size(n: int) -> str:
    """``n`` bytes as "5 MB", "512 KB" or "12 bytes"."""
    if n >= 2**20:
        return f"{n / 2**20:.3g} MB"
    if n >= 1024:
        return f"{n / 1024:.3g} KB"
    return f"{n} bytes"


def _first_line(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return short(text[0]) if text else type(err).__name__
