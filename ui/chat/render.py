"""HTML and Markdown for the chat UI: answers with clickable [n] markers, source cards, tables.

Pure functions from the query-side types to strings, so they are tested without a browser.
Every piece of article or user text is HTML-escaped here (article text is untrusted: a
scraped page may carry markup or scripts), and only http(s) links are rendered. The
click-to-highlight behaviour lives in ``assets/app.js``; it finds cards by the ids built
by ``card_id``. Gradio wiring is in ``ui.chat.app``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from index.store.collection import ArticleInfo
from index.types import web_link
from rag.text import MARKER_RE
from rag.types import Citation, Hit

_NUMBER = re.compile(r"\d{1,3}")


@dataclass
class Turn:
    """One question and what backs its answer, as shown in the sources panel."""

    number: int
    question: str
    search_query: str = ""
    hits: list[Hit] = field(default_factory=list)
    citations: list[Citation] | None = None  # None while the answer is still streaming
    answer: str = ""
    refused: bool = False
    refusal: str = ""  # on a refusal, why (the verdict's reason)
    error: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    ahead: int = 0  # answers ahead of this one while it waits for the model
    freshness: str = ""  # how recent the newest cited article is ("Newest cited article: …")
    timeline: bool = False  # the answer is dated points, one per line

    @property
    def done(self) -> bool:
        return self.citations is not None


def card_id(turn: int, n: int) -> str:
    return f"nr-src-{turn}-{n}"


def answer_html(text: str, turn: int) -> str:
    """The answer text escaped, each [n] (or [1, 2]) marker a link to its source card."""

    def link(match: re.Match[str]) -> str:
        numbers = _NUMBER.findall(match.group(0))
        links = "".join(
            f'<a class="nr-cite" href="#{card_id(turn, int(n))}" data-turn="{turn}" data-n="{n}">[{n}]</a>'
            for n in numbers
        )
        return f" {links}"

    escaped = MARKER_RE.sub(link, html.escape(text, quote=False))
    head, newline, rest = escaped.partition("\n")
    if not newline:
        return escaped
    # Short answer first, then what supports it: the first line stands out.
    return f'<strong class="nr-short">{head}</strong><br>' + rest.replace("\n", "<br>")


def message_html(turn: Turn, streaming_text: str = "") -> str:
    """The assistant's chat message for ``turn``: answer, refusal or error, and what was searched."""
    parts: list[str] = []
    if turn.search_query and turn.search_query != turn.question:
        parts.append(f'<div class="nr-searched">Searched for: “{html.escape(turn.search_query)}”</div>')
    if not turn.done:
        if streaming_text:
            body = answer_html(streaming_text, turn.number)
        elif turn.ahead:
            waiting = f"Queued: the model is busy with {_answers(turn.ahead)} ahead of this one…"
            body = f'<em class="nr-queued">{waiting}</em>'
        else:
            body = "<em>Reading the articles…</em>"
        parts.append(f'<div class="nr-answer">{body}</div>')
    elif turn.error:
        parts.append(
            '<div class="nr-error"><strong>The language model could not answer.</strong> '
            f"{html.escape(turn.error)}<br>The passages retrieved for the question are shown in Sources.</div>"
        )
    elif turn.refused:
        why = f'<div class="nr-why">Why: {html.escape(turn.refusal)}</div>' if turn.refusal else ""
        parts.append(
            f'<div class="nr-refusal"><strong>No answer in the articles.</strong> {html.escape(turn.answer)}{why}</div>'
        )
    elif turn.timeline:  # dated points: a list, no line set apart as the short answer
        points = "".join(f"<li>{answer_html(line, turn.number)}</li>" for line in turn.answer.splitlines() if line)
        parts.append(f'<div class="nr-answer"><ul class="nr-timeline-answer">{points}</ul></div>')
    else:
        parts.append(f'<div class="nr-answer">{answer_html(turn.answer, turn.number)}</div>')
        if turn.freshness:
            parts.append(f'<div class="nr-freshness">{html.escape(turn.freshness)}</div>')
    if turn.done and turn.timings:
        shown = [(k.replace("_", " "), v) for k, v in turn.timings.items() if k in ("queued", "first_token", "total")]
        if shown:
            text = " · ".join(f"{k} {v:.1f} s" for k, v in shown)
            parts.append(f'<div class="nr-timing" title="measured on the server">{text}</div>')
    return "\n".join(parts)


def _answers(n: int) -> str:
    return "1 answer" if n == 1 else f"{n} answers"


def _highlight(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """``text`` escaped, with the (merged) character spans wrapped in <mark>."""
    merged: list[list[int]] = []
    for start, end in sorted((max(0, s), min(len(text), e)) for s, e in spans if e > s):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, pos = [], 0
    for start, end in merged:
        out.append(html.escape(text[pos:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _source_label(source: str) -> str:
    """A source name; a file path (articles without a named outlet) shows as its file name.

    Only an absolute or home-relative path is shortened: "Reuters/AP" is an outlet's name.
    """
    if source.startswith(("/", "~/", "./", "../")):
        return source.rstrip("/").rsplit("/", 1)[-1]
    return source


def _card(element_id: str, label: str, hit: Hit, citations: Sequence[Citation], cited: bool) -> str:
    meta = [html.escape(x) for x in (_source_label(hit.source), hit.published_at) if x]
    url = web_link(hit.url)
    if url:
        meta.append(f'<a href="{html.escape(url)}" target="_blank" rel="noopener noreferrer">open article</a>')
    spans = [(c.quote_start, c.quote_end) for c in citations if c.passage == hit.text]
    if not spans:  # passage text unavailable on the citation: find the quote in the hit
        for c in citations:
            at = hit.text.find(c.quote)
            if c.quote and at >= 0:
                spans.append((at, at + len(c.quote)))
    classes = "nr-card nr-cited" if cited else "nr-card"
    return (
        f'<div class="{classes}" id="{element_id}">'
        f'<div class="nr-card-head"><span class="nr-num">{label}</span> '
        f'<span class="nr-title">{html.escape(hit.title or "(untitled)")}</span></div>'
        f'<div class="nr-meta">{" · ".join(meta)}</div>'
        f'<div class="nr-passage">{_highlight(hit.text, spans)}</div>'
        "</div>"
    )


def turn_html(turn: Turn) -> str:
    """Source cards of one turn: cited passages open, the other retrieved ones collapsed.

    While the answer streams, the model's markers are passage numbers, so every retrieved
    passage gets a card under its number. The final answer's markers are citation numbers
    (renumbered 1..m by the citation check); each names the passage by chunk id.
    """
    head = f'<div class="nr-turn-q">Q{turn.number}: {html.escape(turn.question)}</div>'
    if turn.search_query and turn.search_query != turn.question:
        head += f'<div class="nr-searched">Searched for: “{html.escape(turn.search_query)}”</div>'
    if not turn.hits:
        return head + '<div class="nr-empty">No passages were retrieved.</div>'
    if not turn.done:
        cards = "".join(_card(card_id(turn.number, n), f"[{n}]", h, (), False) for n, h in enumerate(turn.hits, 1))
        return head + '<div class="nr-status">Retrieved; the answer is being written…</div>' + cards
    by_n: dict[int, list[Citation]] = {}
    for c in turn.citations or []:
        by_n.setdefault(c.n, []).append(c)
    hits = {h.chunk_id: h for h in turn.hits}
    out = [head]
    cited_chunks: set[str] = set()
    for n in sorted(by_n):
        chunk = by_n[n][0].chunk_id
        hit = hits.get(chunk)
        if hit is not None:
            cited_chunks.add(chunk)
            out.append(_card(card_id(turn.number, n), f"[{n}]", hit, by_n[n], True))
    if not cited_chunks:
        if turn.error:
            out.append('<div class="nr-status">Retrieved for this question (no answer was generated):</div>')
        else:
            out.append('<div class="nr-status">No passage supports an answer.</div>')
    other = [h for h in turn.hits if h.chunk_id not in cited_chunks]
    if other:
        label = "retrieved passage" if len(other) == 1 else "retrieved passages"
        open_attr = " open" if turn.error else ""
        out.append(
            f'<details class="nr-uncited"{open_attr}><summary>{len(other)} other {label}, not cited</summary>'
            + "".join(_card(f"nr-src-{turn.number}-r{i}", "", h, (), False) for i, h in enumerate(other, 1))
            + "</details>"
        )
    return "".join(out)


def sources_html(turns: Sequence[Turn]) -> str:
    """The whole sources panel: the newest turn open, earlier turns collapsed below it."""
    if not turns:
        return '<div class="nr-empty">Sources for each answer appear here.</div>'
    latest, *earlier = list(reversed(turns))
    out = [f'<div class="nr-turn nr-latest" data-turn="{latest.number}">{turn_html(latest)}</div>']
    for turn in earlier:
        out.append(
            f'<details class="nr-turn" data-turn="{turn.number}"><summary>Sources of Q{turn.number}: '
            f"{html.escape(turn.question[:80])}</summary>{turn_html(turn)}</details>"
        )
    return "".join(out)


ARTICLE_COLUMNS = ["Headline", "Source", "Date", "Chunks", "File or URL"]


def article_rows(articles: Sequence[ArticleInfo], query: str = "") -> list[list[str | int]]:
    """Table rows of the corpus, newest first, filtered by a case-insensitive substring."""
    needle = query.strip().lower()
    rows: list[list[str | int]] = []
    for a in sorted(articles, key=lambda a: (a.published_at or "", a.title), reverse=True):
        parts = a.file_path.rsplit("/", 3)
        # A fetched article's file is a record named by a hash (DATA_DIR/web/<host>/…): its URL says more.
        name = a.url if a.url and len(parts) == 4 and parts[1] == "web" else parts[-1]
        if needle and needle not in f"{a.title} {a.source} {a.published_at} {name}".lower():
            continue
        rows.append([a.title or "(untitled)", a.source, a.published_at, a.chunks, name])
    return rows


def article_choice(a: ArticleInfo) -> tuple[str, str]:
    """(label, value) for the delete picker."""
    label = f"{a.title or '(untitled)'} — {_source_label(a.source) or a.file_path.rsplit('/', 1)[-1]}"
    return (label if len(label) <= 120 else label[:117] + "…", a.article_id)


def settings_markdown(info: dict[str, object], top_k: int) -> str:
    rows = [
        ("Answers by", info.get("generator") or info.get("backend")),
        ("Why this backend", info.get("backend_reason")),
        ("Embedder", info.get("embedder")),
        ("Retrieval", f"{info.get('retrieval_mode', '')}, top {top_k} passages"),
        ("Corpus", f"{info.get('articles', 0)} articles, {info.get('chunks', 0)} passages"),
        ("Data dir", info.get("data_dir")),
    ]
    return "\n".join(f"- **{k}**: `{v}`" for k, v in rows if v not in (None, ""))
