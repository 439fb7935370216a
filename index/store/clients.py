"""Open Chroma clients: embedded under the data dir, or of a Chroma server, with one-line errors.

``persistent_client`` opens an embedded index (and ``release_client`` makes chromadb forget
its cached one, so the next open reads the files afresh); ``http_client`` connects to a
server, checked to answer and bounded in time. Failures become ``StorageError`` or
``StoreUnavailableError`` naming the fix; ``public_url`` and ``unreachable`` word a server's
address and loss the same way for ``collection``, which uses a client once it is open.

It does not read or write collections (``collection`` does), and it does not start, secure or
time out a Chroma server: that is the server's (or a proxy's) job.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from index.errors import StoreUnavailableError, storage_error

log = logging.getLogger("newsrag.store")


def persistent_client(path: Path) -> Any:
    """An embedded Chroma client at ``path`` with telemetry off."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    try:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))
    except Exception as err:  # chromadb raises many kinds for unreadable/read-only/corrupt dirs
        release_client(path)  # chromadb keeps a system that failed to start; the next open would reuse it
        raise storage_error(err, path, path) from err


def release_client(path: Path) -> None:
    """Forget chromadb's cached client for ``path``: the next open reads the files afresh.

    chromadb keeps one system per path for the whole process, even one that failed to start
    and one whose files were moved away since.
    """
    import contextlib

    from chromadb.api.shared_system_client import SharedSystemClient

    target = path.resolve()
    for key in [k for k in SharedSystemClient._identifier_to_system if k and Path(k).resolve() == target]:
        system = SharedSystemClient._identifier_to_system.pop(key)
        SharedSystemClient._identifier_to_refcount.pop(key, None)
        with contextlib.suppress(Exception):  # one over damaged files may fail to stop; dropped anyway
            system.stop()


def http_client(
    url: str,
    token: str | None = None,
    tenant: str = "default_tenant",
    database: str = "default_database",
    timeout: int = 60,
) -> Any:
    """A client of the Chroma server at ``url`` with telemetry off, checked to answer.

    ``token`` goes out as ``Authorization: Bearer`` (what a token-checking proxy expects) and
    ``X-Chroma-Token`` (what Chroma Cloud-style servers read). A request the server has not
    answered within ``timeout`` seconds fails instead of hanging.
    """
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from chromadb.errors import ChromaError

    shown = public_url(url)
    headers = {"Authorization": f"Bearer {token}", "X-Chroma-Token": token} if token else None
    try:
        # A full URL as host keeps its scheme, port and path prefix (a proxy's /chroma/).
        # chromadb's HTTP client waits forever (timeout=None) for a server that took the
        # connection but never answers. A timed heartbeat guards its first requests; the
        # client's own session gets the timeout for every later one.
        httpx.get(f"{url.rstrip('/')}/api/v2/heartbeat", headers=headers, timeout=timeout)
        client = chromadb.HttpClient(
            host=url,
            headers=headers,
            tenant=tenant,
            database=database,
            settings=ChromaSettings(anonymized_telemetry=False),
        )
        session = getattr(getattr(client, "_server", None), "_session", None)
        if isinstance(session, httpx.Client):
            session.timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0))
        else:  # a chromadb whose layout changed: still works, without the bound
            log.warning("could not set a request timeout on chromadb's HTTP client")
        return client
    except ChromaError as err:  # the server answered: unknown tenant/database, refused token
        raise StoreUnavailableError(
            f"the Chroma server at {shown} refused the request ({err.message()}): "
            "check NEWSRAG_CHROMA_TENANT, NEWSRAG_CHROMA_DATABASE and NEWSRAG_CHROMA_TOKEN"
        ) from err
    except httpx.TransportError as err:  # the heartbeat: nothing listening, or no reply in time
        raise StoreUnavailableError(unreachable(shown, err)) from err
    except ValueError as err:  # chromadb wraps transport failures and non-Chroma replies
        cause = err.__context__
        if isinstance(cause, httpx.TransportError):
            raise StoreUnavailableError(unreachable(shown, cause)) from err
        reply = re.sub(r"\(trace ID: \w+\)", "", " ".join(str(cause or err).split())).strip()[:120]
        raise StoreUnavailableError(
            f"the Chroma server at {shown} gave an unexpected reply ({reply or 'empty'}): "
            "check NEWSRAG_CHROMA_TOKEN and that NEWSRAG_CHROMA_URL points at Chroma"
        ) from err


def public_url(url: str) -> str:
    """``url`` without a user name or password, for messages and ``newsrag info``."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def unreachable(url: str, err: Exception | None = None) -> str:
    """The one-line error for a Chroma server at ``url`` that ``err`` shows cannot be reached."""
    if isinstance(err, httpx.TimeoutException) and not isinstance(err, httpx.ConnectTimeout):
        return (
            f"the Chroma server at {url} did not answer in time: check that it is healthy "
            "(or raise NEWSRAG_CHROMA_TIMEOUT)"
        )
    return (
        f"cannot reach the Chroma server at {url}: start it with `chroma run --path DIR --port N` "
        "or fix NEWSRAG_CHROMA_URL"
    )
