"""The Stories tab: developing events as timelines of their articles.

``StoriesPanel`` holds the callbacks (plain methods over ``rag.stories``); ``stories_html``
and ``timeline_html`` draw the list and one story's timeline — each article by date with its
headline (a link when it has a URL), source (a file's name for an article named by its file,
never a server path) and key sentence, all text escaped. Grouping is
``index.stories``'; this module only reads.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

import gradio as gr

from index.errors import NewsragError
from index.types import web_link
from rag.api import NewsRAG
from ui.redact import shown_source

MOST = 200  # stories offered in the picker (newest first); the search narrows them


def _esc(text: str) -> str:
    return html.escape(text or "", quote=True)


def _span(first: Any, last: Any) -> str:
    if not first:
        return "undated"
    return str(first) if first == last or not last else f"{first} – {last}"


def story_choice(story: Any) -> tuple[str, str]:
    label = f"{story.label} ({_span(story.first, story.last)}, {len(story.article_ids)} articles)"
    return (label if len(label) <= 140 else label[:137] + "…", story.story_id)


def timeline_html(story: Any, articles: Sequence[Any]) -> str:
    """One story: its label and date range, then its articles by date."""
    items = []
    for a in articles:
        link = web_link(a.url)
        title = f'<a href="{_esc(link)}" target="_blank" rel="noopener">{_esc(a.title)}</a>' if link else _esc(a.title)
        items.append(
            '<li class="nr-tl-item">'
            f'<span class="nr-tl-date">{_esc(a.published_at or "undated")}</span>'
            f'<div class="nr-tl-body"><div class="nr-tl-title">{title}</div>'
            f'<div class="nr-tl-source">{_esc(shown_source(a.source))}</div>'
            f'<div class="nr-tl-key">{_esc(a.key_sentence)}</div></div></li>'
        )
    head = (
        f'<h3 class="nr-tl-label">{_esc(story.label)}</h3>'
        f'<div class="nr-tl-span">{_esc(_span(story.first, story.last))} · {len(articles)} article(s)</div>'
    )
    return f'<div class="nr-timeline">{head}<ol class="nr-tl">{"".join(items)}</ol></div>'


class StoriesPanel:
    """Story callbacks over one ``NewsRAG``; ``public`` hides server paths in messages."""

    def __init__(self, rag: NewsRAG, public: Callable[[str], str]) -> None:
        self.rag = rag
        self.public = public

    def view(
        self, search: str = "", min_articles: float | None = 2, current: str | None = None
    ) -> tuple[Any, str, str]:
        """The story picker (newest first), a summary line, and the timeline of ``current`` when it
        is still listed, else of the first story."""
        try:
            stories = self.rag.stories.list(search.strip() or None, int(min_articles or 1))
        except NewsragError as err:
            return gr.Dropdown(choices=[], value=None), _esc(self.public(str(err))), ""
        choices = [story_choice(s) for s in stories[:MOST]]
        ids = [story_id for _, story_id in choices]
        first = current if current in ids else (ids[0] if ids else None)
        line = f"**{len(stories)}** stories" + (f" matching “{_esc(search.strip())}”" if search.strip() else "")
        if not stories:
            line = "No stories yet: ingest articles (several outlets' reports of one event form a story)."
        return gr.Dropdown(choices=choices, value=first), line, self.show(first)

    def show(self, story_id: str | None) -> str:
        if not story_id:
            return ""
        try:
            found = self.rag.stories.get(story_id)
        except NewsragError as err:
            return f'<div class="nr-error">{_esc(self.public(str(err)))}</div>'
        return timeline_html(*found) if found else ""


def build_stories_tab(rag: NewsRAG, public: Callable[[str], str]) -> tuple[Callable[..., Any], list[Any], list[Any]]:
    """Lay out the tab's parts (inside the current tab) and wire them; returns the loader, its
    inputs and outputs, for the caller to run on page load and after the corpus changes."""
    panel = StoriesPanel(rag, public)
    hidden: dict[str, Any] = {"api_visibility": "private"}
    with gr.Row():
        search = gr.Textbox(placeholder="Search stories (headlines, names)…", show_label=False, scale=4)
        least = gr.Slider(1, 10, value=2, step=1, label="At least N articles", scale=2, elem_id="nr-story-min")
    line = gr.Markdown(elem_id="nr-stories-line")
    pick = gr.Dropdown(label="Story", choices=[], elem_id="nr-story-pick")
    timeline = gr.HTML(elem_id="nr-story-timeline")
    outputs = [pick, line, timeline]
    inputs = [search, least, pick]
    search.change(panel.view, inputs, outputs, queue=False, **hidden)
    least.change(panel.view, inputs, outputs, queue=False, **hidden)
    pick.change(panel.show, pick, timeline, queue=False, **hidden)
    return panel.view, inputs, outputs
