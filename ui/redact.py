"""Keep the server's file system layout out of messages sent over HTTP.

Error messages are written for the person at the terminal and name files by their full path
("cannot write to /srv/newsrag/chroma …"). Over HTTP (REST, OpenAI-compatible API, the chat
UI) the same message goes to a remote user, who needs the fix but not the server's paths:
``hide_paths`` writes paths under the data dir as ``DATA_DIR/…`` and any other absolute path
that names a place on this machine as its last part. Text that only looks like a path (API
routes such as ``/api/articles``, "Reuters/AP", dates) is left alone: a path is replaced only
when its first folder exists here.

It changes messages only; data fields (an article's source, its file) are the caller's.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

# An absolute path of two or more parts, not inside a URL ("http://host/x") or a word ("a/b").
_ABS_PATH = re.compile(r"(?<![\w.:/~-])(/[^\s/:'\"<>(),;]+(?:/[^\s/:'\"<>(),;]+)+)")


def hide_paths(message: str, data_dir: Path | None = None) -> str:
    """``message`` with server paths shortened: ``DATA_DIR/uploads/x.txt``, else the file name."""
    roots: list[str] = []
    if data_dir is not None:
        roots = sorted({str(data_dir.expanduser()), str(data_dir.expanduser().resolve())}, key=len, reverse=True)

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
