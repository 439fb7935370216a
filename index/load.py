"""Load news articles from files: plain text, Markdown, HTML, JSON and JSON Lines.

A text file may hold several articles: they are separated by two or more blank lines
followed by a headline-like line (Markdown files may instead use ``# `` headings). Each
article gets its headline, the source (URL when known, else the file path), a publication
date when one can be found, and a content hash. HTML is reduced to its main text with
trafilatura. JSON records take title, text/body/content, url, published_at/publish_date/date,
source and author.

This module only reads and splits; cleaning lives in ``clean`` and chunking in ``chunk``.
Bad records inside a JSON file are reported as warnings and skipped; a file that cannot be
used at all raises ``InputError``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from index.clean import clean_article, normalize_space, parse_date
from index.errors import InputError
from index.types import Article, web_link

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSON_SUFFIXES
MAX_FILE_BYTES = 50 * 1024 * 1024

_TITLE_KEYS = ("title", "headline")
_TEXT_KEYS = ("text", "body", "content", "article")
_DATE_KEYS = ("published_at", "publish_date", "published", "date", "pubdate")


@dataclass
class LoadedFile:
    """Articles read from one file, plus problems that did not stop the rest of it."""

    path: Path
    file_hash: str
    articles: list[Article]
    warnings: list[str] = field(default_factory=list)


def read_limited(path: Path) -> bytes:
    """The file's bytes; ``InputError`` when it is over the size limit."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError(f"{path}: file is {size // 2**20} MB, over the 50 MB limit: split it")
    return path.read_bytes()


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def discover(paths: Iterable[str | Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Expand files and folders (recursively) into supported files, in a stable order.

    Returns the files and a list of ``(path, reason)`` for arguments that cannot be used.
    """
    found: dict[Path, None] = {}
    problems: list[tuple[str, str]] = []
    for raw in paths:
        p = Path(raw).expanduser()
        if not p.exists():
            problems.append((str(raw), "no such file or folder: check the path"))
        elif p.is_dir():
            for child in sorted(p.rglob("*")):
                hidden = any(part.startswith(".") for part in child.relative_to(p).parts)
                if child.is_file() and child.suffix.lower() in SUPPORTED_SUFFIXES and not hidden:
                    found[child.resolve()] = None
        elif p.suffix.lower() in SUPPORTED_SUFFIXES:
            found[p.resolve()] = None
        else:
            supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
            problems.append((str(raw), f"unsupported file type {p.suffix or '(none)'}: use {supported}"))
    return list(found), problems


def decode(data: bytes, name: str) -> tuple[str, str | None]:
    """Decode bytes as text; returns the text and a warning when it was not UTF-8."""
    if not data.strip():
        raise InputError(f"{name}: file is empty: add article text or remove the file")
    sample = data[:8192]
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    # A stray NUL or escape code in scraped text is dropped later (clean.normalize_space);
    # many of them mean a binary (or UTF-16) file.
    if sample.count(b"\x00") > max(4, len(sample) * 0.01) or controls > max(8, len(sample) * 0.05):
        raise InputError(f"{name}: looks like a binary file, not text: convert it to .txt, .html or .json")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    for encoding in ("cp1252", "latin-1"):
        try:
            return data.decode(encoding), f"{name}: not UTF-8, read as {encoding}: save it as UTF-8 to be sure"
        except UnicodeDecodeError:
            continue
    raise InputError(f"{name}: cannot decode the text: save it as UTF-8")  # pragma: no cover


def load_file(path: Path, data: bytes | None = None) -> LoadedFile:
    """Read one file (or its already-read bytes) into articles.

    Raises ``InputError`` when nothing usable is in it.
    """
    name = str(path)
    try:
        if data is None:
            data = read_limited(path)
    except OSError as err:
        raise InputError(f"{name}: cannot read: {err.strerror or err}") from err
    digest = file_hash(data)
    text, warning = decode(data, name)
    warnings = [warning] if warning else []
    suffix = path.suffix.lower()
    if suffix in JSON_SUFFIXES:
        records, problems = _json_records(text, name, jsonl=suffix != ".json")
        warnings += problems
        articles = [a for i, r in enumerate(records) if (a := _from_record(r, path, i, warnings))]
    elif suffix in HTML_SUFFIXES:
        articles = [_from_html(text, path)]
    else:
        articles = [
            _article(title, body, path, i)
            for i, (title, body) in enumerate(split_articles(text, markdown=suffix != ".txt"))
        ]
    articles = [a for a in articles if a.text.strip()]
    if not articles:
        detail = f" ({warnings[-1]})" if warnings else ""
        raise InputError(f"{name}: no article text found{detail}: check the file's content")
    return LoadedFile(path=path, file_hash=digest, articles=articles, warnings=warnings)


def split_articles(text: str, markdown: bool = False) -> list[tuple[str, str]]:
    """Split a text holding one or more articles into ``(headline, body)`` pairs.

    Articles are separated by two or more blank lines followed by a headline-like line; in
    Markdown a level-one heading starts a new article too.
    """
    text = normalize_space(text).strip()
    boundary = r"\n[ \t]*\n(?:[ \t]*\n)+"
    if markdown and re.search(r"(?m)^# \S", text):
        boundary = r"\n(?=# \S)|" + boundary
    blocks: list[str] = []
    for block in re.split(boundary, text):
        if not block.strip():
            continue
        first = block.strip().split("\n", 1)[0]
        if blocks and not _looks_like_headline(first):
            blocks[-1] += "\n\n" + block  # a paragraph after a double gap, not a new article
        else:
            blocks.append(block)
    pairs = []
    for block in blocks:
        lines = block.strip().split("\n", 1)
        title = lines[0].strip().lstrip("#").strip()
        body = lines[1] if len(lines) > 1 else ""
        if not _looks_like_headline(title):
            body, title = block, title_from_text(block)
        pairs.append((title, body))
    return pairs


def _looks_like_headline(line: str) -> bool:
    line = line.strip().lstrip("#").strip()
    return (0 < len(line) <= 200 and not line.endswith((".", ",", ";", ":"))) or line.startswith("#")


def title_from_text(text: str) -> str:
    """A headline for text that has none: its first sentence, at most 120 characters."""
    first = re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]
    return first[:120].strip()


def _article_id(path: Path, ordinal: int) -> str:
    return hashlib.sha1(f"{path}#{ordinal}".encode()).hexdigest()[:16]


def _article(
    title: str,
    body: str,
    path: Path,
    ordinal: int,
    url: str | None = None,
    published: date | None = None,
    author: str | None = None,
    source: str | None = None,
    also_at: tuple[str, ...] = (),
) -> Article:
    url = web_link(url) or None  # a `javascript:` or `file:` "URL" is no link and no source name
    text, found_date = clean_article(title, body)
    content_hash = hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()
    return Article(
        article_id=_article_id(path, ordinal),
        title=title.strip() or path.stem,
        text=text,
        source=source or url or str(path),
        file_path=str(path),
        url=url,
        published_at=published or found_date,
        author=author,
        content_hash=content_hash,
        also_at=tuple(link for u in also_at if (link := web_link(u))),
    )


@dataclass(frozen=True)
class HtmlText:
    """What trafilatura reads from an HTML page: its main text (not yet cleaned) and metadata."""

    text: str
    title: str = ""
    url: str | None = None  # the page's canonical link, else the ``url`` it was read with
    published_at: date | None = None
    author: str | None = None
    site_name: str | None = None


def read_html(html: str, url: str | None = None, guess_date: bool = True) -> HtmlText:
    """Main text and metadata of an HTML page; ``text`` is "" when trafilatura finds no article.

    One reading for an uploaded HTML file and a fetched page alike, so both are stored the same.
    ``url``, when known, lets the date be read from the address too. ``guess_date=False`` keeps
    htmldate to the page's metadata, markup and URL: its extensive search also reads dates out
    of the prose ("until the end of 2025" becomes 2025-01-01), worse than a caller's fallback.
    """
    import trafilatura

    date_params = None
    if not guess_date:
        today = datetime.now().astimezone().date().isoformat()
        date_params = {"original_date": True, "extensive_search": False, "max_date": today}
    doc = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        favor_precision=True,
        date_extraction_params=date_params,
    )
    if doc is None:
        return HtmlText(text="", url=url)
    raw_date = getattr(doc, "date", None)
    return HtmlText(
        text=getattr(doc, "text", None) or "",
        title=getattr(doc, "title", None) or "",
        url=getattr(doc, "url", None),
        published_at=parse_date(raw_date) if raw_date else None,
        author=getattr(doc, "author", None),
        site_name=getattr(doc, "sitename", None),
    )


def _from_html(html: str, path: Path) -> Article:
    page = read_html(html)
    text = page.text or _html_fallback_text(html)
    title = page.title or title_from_text(text)
    return _article(title, text, path, 0, url=page.url, published=page.published_at, author=page.author)


def _html_fallback_text(html: str) -> str:
    from lxml import html as lxml_html

    try:
        tree = lxml_html.fromstring(html)
    except Exception:  # lxml raises several parser errors for junk input
        return ""
    for bad in tree.xpath("//script|//style|//nav|//header|//footer|//aside|//form|//noscript"):
        bad.drop_tree()
    return "\n\n".join(t.strip() for t in tree.itertext() if t.strip())


def _json_records(text: str, name: str, jsonl: bool) -> tuple[list[dict[str, Any]], list[str]]:
    problems: list[str] = []
    if not jsonl:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            if "\n{" in text.strip():  # a .json file that is really JSON Lines
                return _json_records(text, name, jsonl=True)
            raise InputError(f"{name}: invalid JSON at line {err.lineno} column {err.colno}: {err.msg}") from err
        except RecursionError:
            raise InputError(
                f"{name}: JSON nested too deeply to be articles: flatten it to a list of objects"
            ) from None
        if isinstance(data, dict) and isinstance(data.get("articles"), list):
            data = data["articles"]
        items = data if isinstance(data, list) else [data]
        records = []
        for i, item in enumerate(items, 1):
            if isinstance(item, dict):
                records.append(item)
            else:
                problems.append(f"{name}: item {i} is not an object: skipped")
        return records, problems
    records = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as err:
            problems.append(f"{name}:{lineno}: invalid JSON ({err.msg}): line skipped")
            continue
        except RecursionError:
            problems.append(f"{name}:{lineno}: JSON nested too deeply: line skipped")
            continue
        if isinstance(item, dict):
            records.append({**item, "_line": lineno})
        else:
            problems.append(f"{name}:{lineno}: not a JSON object: line skipped")
    return records, problems


def _first(record: dict[str, Any], keys: Iterator[str] | tuple[str, ...]) -> Any:
    for key in keys:
        value = record.get(key)
        if value not in (None, ""):
            return value
    return None


def _from_record(record: dict[str, Any], path: Path, ordinal: int, warnings: list[str]) -> Article | None:
    where = f"{path}:{record['_line']}" if "_line" in record else f"{path} item {ordinal + 1}"
    text = _first(record, _TEXT_KEYS)
    if not isinstance(text, str) or not text.strip():
        warnings.append(f"{where}: no 'text' (or 'body') field: record skipped")
        return None
    title = _first(record, _TITLE_KEYS)
    title = str(title).strip() if title else title_from_text(text)
    url = _first(record, ("url", "link"))
    raw_date = _first(record, _DATE_KEYS)
    published = parse_date(str(raw_date)) if raw_date is not None else None
    if raw_date is not None and published is None:
        warnings.append(f"{where}: unreadable date {str(raw_date)[:40]!r}: kept without a date")
    author = _first(record, ("author", "authors", "byline"))
    if isinstance(author, list):
        author = ", ".join(str(a) for a in author)
    source = _first(record, ("source", "publisher", "outlet"))
    return _article(
        title,
        text,
        path,
        ordinal,
        url=str(url) if url else None,
        published=published,
        author=str(author) if author else None,
        source=str(source) if source else None,
        also_at=tuple(str(u) for u in also) if isinstance(also := record.get("also_at"), list) else (),
    )
