"""Keep the server's file system layout out of what is sent over HTTP: messages and data fields.

Error messages are written for the person at the terminal and name files by their full path
("cannot write to /srv/newsrag/chroma …"). Over HTTP (REST, OpenAI-compatible API, the chat
UI) the same message goes to a remote user, who needs the fix but not the server's paths:
``hide_paths`` writes paths under the data dir as ``DATA_DIR/…`` and any other absolute path
that names a place on this machine as its last part. Text that only looks like a path (API
routes such as ``/api/articles``, "Reuters/AP", dates) is left alone: a path is replaced only
when its first folder exists here.

Data fields follow the same rule (``shown_path``, ``shown_source``, ``public_answer``,
``public_record``): an article's ``file_path``, and a ``source`` that is a path (an article
with no outlet or URL is named by its file), read ``DATA_DIR/web/…`` or ``DATA_DIR/uploads/…``
for the data dir's records and uploads, else the file's name (the folder a user ingested is
not recorded). Over HTTP they are applied at the boundary (``ui.http``): the Python API and
the CLI, run by someone on this machine, keep the real paths. ``GET /api/articles?q=``
searches the shown values, so a listed ``file_path`` finds its article again; deleting goes by
``article_id``, which is unchanged.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from rag.types import Answer, Hit

# An absolute path of two or more parts, not inside a URL ("http://host/x") or a word ("a/b").
_ABS_PATH = re.compile(r"(?<![\w.:/~-])(/[^\s/:'\"<>(),;]+(?:/[^\s/:'\"<>(),;]+)+)")


def hide_paths(message: str, data_dir: Path | None = None) -> str:
    """``message`` with server paths shortened: ``DATA_DIR/uploads/x.txt``, else the file name."""
    roots = _roots(data_dir)

    def shorten(match: re.Match[str]) -> str:
        path = match.group(1)
        trail = ""
        while path and path[-1] in ".!?":  # sentence punctuation after the path
            path, trail = path[:-1], path[-1] + trail
        for root in roots:
            if root.startswith("/") and (path == root or path.startswith(root.rstrip("/") + "/")):
                return "DATA_DIR" + path[len(root.rstrip("/")) :] + trail
        first = "/" + path.split("/", 2)[1]
        if not os.path.isdir(first):
            return match.group(1)
        return path.rstrip("/").rsplit("/", 1)[-1] + trail

    return _ABS_PATH.sub(shorten, message)


def shown_path(path: str, data_dir: Path | None = None) -> str:
    """A stored file's path as a remote user sees it: ``DATA_DIR/…`` under the data dir, else its name.

    A path that is not absolute (nor ``~/…``) is no server path and is returned as it is.
    """
    if not path.startswith(("/", "~")):
        return path
    for root in _roots(data_dir):
        if path == root or path.startswith(root.rstrip("/") + "/"):
            return "DATA_DIR" + path[len(root.rstrip("/")) :]
    return path.rstrip("/").rsplit("/", 1)[-1]


def shown_source(source: str, data_dir: Path | None = None) -> str:
    """An article's source: a path (``/…``, ``~/…``) as ``shown_path`` shows it; an outlet or URL unchanged."""
    return shown_path(source, data_dir) if source.startswith(("/", "~/")) else source


def public_record(record: dict[str, Any], data_dir: Path | None) -> dict[str, Any]:
    """A listed article (``ArticleInfo``/``StoryArticle`` fields) with its ``file_path`` and ``source`` shown."""
    out = dict(record)
    if isinstance(out.get("file_path"), str):
        out["file_path"] = shown_path(out["file_path"], data_dir)
    if isinstance(out.get("source"), str):
        out["source"] = shown_source(out["source"], data_dir)
    return out


def public_hit(hit: Hit, data_dir: Path | None) -> Hit:
    """A retrieved passage whose source names no server path."""
    return replace(hit, source=shown_source(hit.source, data_dir))


def public_answer(answer: Answer, data_dir: Path | None) -> Answer:
    """A copy of ``answer`` whose citations and retrieved passages name no server path."""
    citations = [replace(c, source=shown_source(c.source, data_dir)) for c in answer.citations]
    return replace(answer, citations=citations, sources=[public_hit(h, data_dir) for h in answer.sources])


def _roots(data_dir: Path | None) -> list[str]:
    """The data dir as given and resolved, longest first (uploads are keyed by resolved path)."""
    if data_dir is None:
        return []
    return sorted({str(data_dir.expanduser()), str(data_dir.expanduser().resolve())}, key=len, reverse=True)
