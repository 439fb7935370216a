"""The Gradio chat app: streaming cited answers, a sources panel, article upload and a corpus view.

``ChatUI`` holds the callbacks (plain methods over a ``NewsRAG``, unit-tested with a fake
generator); ``build_app`` lays them out in ``gr.Blocks``. Per-browser-session state is the
chat transcript and the list of ``Turn`` objects behind the sources panel, so two sessions
never see each other's conversation. Answering runs one request at a time (the local model
has one slot): Gradio queues the rest and shows the queue position in the waiting session.

Launching (host, port, offline switches, assets) is ``ui.launch``; HTML is ``ui.chat.render``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr

from index.errors import NewsragError
from index.load import SUPPORTED_SUFFIXES
from rag.api import NewsRAG
from rag.types import Answer, Queued, Retrieved, asked_on
from ui.chat.feeds_tab import build_live_section
from ui.chat.render import (
    ARTICLE_COLUMNS,
    Turn,
    article_choice,
    article_rows,
    message_html,
    settings_markdown,
    sources_html,
)
from ui.chat.stories_tab import build_stories_tab
from ui.redact import hide_paths
from ui.uploads import file_problem, save_and_ingest

Chat = list[dict[str, Any]]


class ChatUI:
    """The UI's callbacks over one ``NewsRAG``."""

    def __init__(self, rag: NewsRAG) -> None:
        self.rag = rag

    def public(self, message: str) -> str:
        """A message as shown in the page: no server paths (``ui.redact``)."""
        return hide_paths(message, self.rag.settings.data_dir)

    # Chat

    def submit(self, message: str, chat: Chat | None) -> tuple[str, Chat, str]:
        """Put the question in the transcript at once; ``respond`` answers it."""
        question = (message or "").strip()
        chat = list(chat or [])
        if question:
            chat.append({"role": "user", "content": question})
        return "", chat, question

    def respond(
        self, question: str, chat: Chat | None, turns: list[Turn] | None, top_k: float | None
    ) -> Iterator[tuple[Chat, Any, Any]]:
        """Stream the answer: sources as soon as retrieval is done, then text, then citations."""
        chat = list(chat or [])
        turns = list(turns or [])
        if not question:
            yield chat, sources_html(turns), turns
            return
        history = [(t.question, t.answer) for t in turns if t.done and not t.refused and not t.error]
        turn = Turn(number=len(turns) + 1, question=question)
        turns = [*turns, turn]
        text = ""

        def update(content: str, panel: bool = True) -> tuple[Chat, Any, Any]:
            # Fresh objects per update. While tokens stream only the chat changes: skipping the
            # panel and state saves re-sending them on every token (CPU the model needs).
            reply = [*chat, {"role": "assistant", "content": content}]
            return (reply, sources_html(turns), list(turns)) if panel else (reply, gr.skip(), gr.skip())

        yield update(message_html(turn))
        try:
            as_of = asked_on(None, self.rag.settings.answer_as_of_today)
            for item in self.rag.events(question, history, int(top_k) if top_k else None, as_of=as_of):
                if isinstance(item, Retrieved):
                    turn.search_query, turn.hits = item.search_query, list(item.hits)
                    yield update(message_html(turn))
                elif isinstance(item, Queued):
                    turn.ahead = item.ahead
                    yield update(message_html(turn), panel=False)
                elif isinstance(item, Answer):
                    _finish(turn, item, self.public)
                else:
                    text += item
                    yield update(message_html(turn, text), panel=False)
        except NewsragError as err:
            turns.pop()
            yield update(f'<div class="nr-error">{_escape(self.public(str(err)))}</div>')
            return
        yield update(message_html(turn))

    def ask_api(self, question: str, top_k: int = 0) -> dict[str, Any]:
        """The UI's API endpoint (``gradio_client``: ``/ask``): the JSON of ``newsrag ask --json``.

        ``top_k`` 0 keeps the server's setting.
        """
        try:
            answer = self.rag.ask(question, top_k=top_k or None)
        except NewsragError as err:
            raise gr.Error(self.public(str(err))) from None
        if answer.error:
            raise gr.Error(self.public(answer.error))
        return answer.to_dict()

    def offer(self) -> Any:
        """The "load the samples" offer, shown only while the corpus is empty (any session may fill it)."""
        return gr.Row(visible=self.rag.store.count() == 0)

    def clear(self) -> tuple[Chat, str, list[Turn]]:
        return [], sources_html([]), []

    # Corpus

    def corpus_view(self, query: str = "") -> tuple[Any, Any, Any, str]:
        """Article table, delete choices, the empty-corpus offer, and the corpus line."""
        articles = self.rag.articles()
        rows = article_rows(articles, query)
        table = gr.Dataframe(value=rows or None, headers=ARTICLE_COLUMNS)
        choices = gr.Dropdown(choices=[article_choice(a) for a in articles], value=None)
        offer = gr.Row(visible=not articles)
        chunks = sum(a.chunks for a in articles)
        line = f"**{len(articles)}** articles, **{chunks}** passages" + (
            f" · showing {len(rows)} matching “{_escape(query.strip())}”" if query.strip() else ""
        )
        return table, choices, offer, line

    def load_samples(self, progress: Any = None) -> tuple[Any, Any, Any, str, str]:
        report = self.rag.ingest_samples(progress=_progress(progress, "Sample articles"))
        return (
            *self.corpus_view(),
            f"Loaded the sample articles: {report.articles} articles, {report.chunks} passages.",
        )

    def upload(self, files: Sequence[Any] | None, progress: Any = None) -> tuple[Any, Any, Any, str, str]:
        """Copy uploaded files into the data dir and ingest them; one line per file."""
        paths = [Path(getattr(f, "name", f)) for f in files or []]
        if not paths:
            return (*self.corpus_view(), "Choose one or more files to upload.")
        lines: list[str] = []
        most = self.rag.settings.max_upload_files
        if len(paths) > most:
            lines.append(f"Only the first {most} files were taken: upload the rest in another batch.")
            paths = paths[:most]
        try:
            with ExitStack() as stack:
                streams = []
                for p in paths:
                    try:
                        streams.append((p.name, stack.enter_context(p.open("rb"))))
                    except OSError as err:
                        lines.append(f"✗ {_escape(p.name)}: cannot read the upload ({err.strerror}): upload it again")
                report = save_and_ingest(self.rag, streams, progress=_progress(progress, "Ingesting"))
        finally:
            _drop_gradio_copies([Path(getattr(f, "name", f)) for f in files or []])
        for result in report.files:
            name = _escape(Path(result.path).name)
            note = _escape(self.public(file_problem(result)))
            if result.status == "failed":
                lines.append(f"✗ {name}: {note}")
            else:
                done = f"{result.status}, {result.articles} articles, {result.chunks} passages"
                lines.append(f"✓ {name}: {done}" + (f" ({note})" if note else ""))
        return (*self.corpus_view(), "\n".join(f"- {line}" for line in lines))

    def delete(self, article_ids: Sequence[str] | None, query: str = "") -> tuple[Any, Any, Any, str, str]:
        ids = list(article_ids or [])
        if not ids:
            return (*self.corpus_view(query), "Pick the articles to delete first.")
        removed = self.rag.remove_articles(ids)
        return (*self.corpus_view(query), f"Deleted {len(ids)} article(s), {removed} passages.")

    def settings_text(self, top_k: float | None) -> str:
        info = dict(self.rag.info())
        info["retrieval_mode"] = self.rag.settings.retrieval_mode
        return settings_markdown(info, int(top_k or self.rag.settings.top_k))


def _drop_gradio_copies(paths: Sequence[Path]) -> None:
    """Delete Gradio's copies of uploaded files once ours is saved.

    Gradio keeps every upload in its temp dir (``GRADIO_TEMP_DIR``, by default
    ``/tmp/gradio``, as ``<sha256>/<name>``) until the app stops. Those copies hold the
    article text: they would outlive the article's deletion, and with it every later
    edit. Files outside that dir (a caller's own) are left alone.
    """
    cache = _gradio_cache()
    for path in paths:
        real = path.resolve()
        if real == cache or not real.is_relative_to(cache):
            continue
        real.unlink(missing_ok=True)
        if real.parent != cache:
            with contextlib.suppress(OSError):  # the upload's own folder, once empty
                real.parent.rmdir()


def _gradio_cache() -> Path:
    """Gradio's upload folder (``GRADIO_TEMP_DIR``), where every file a browser uploads lands first."""
    return Path(gr.utils.get_upload_folder()).resolve()


def _finish(turn: Turn, answer: Answer, public: Callable[[str], str]) -> None:
    turn.answer, turn.refused, turn.error = answer.answer, answer.refused, public(answer.error)
    turn.refusal = answer.verdict.reason if answer.verdict else ""
    turn.citations = list(answer.citations)
    turn.freshness = answer.freshness()
    turn.timeline = bool(answer.timeline)
    turn.timings = dict(answer.timings)
    turn.hits = list(answer.sources) or turn.hits
    turn.search_query = answer.search_query or turn.search_query


def _only_uploaded(paths: Sequence[Any] | None) -> list[Any]:
    """The files that lie in Gradio's upload folder; any other path is refused, not read.

    Gradio makes the same check itself once its Blocks are launched (``ui.http.server`` marks a
    mounted app so); this second one keeps a server file from being ingested should that
    ever be skipped again.
    """
    folder = _gradio_cache()
    for item in paths or []:
        path = Path(getattr(item, "name", item)).resolve()
        if not path.is_relative_to(folder):
            raise gr.Error("only files uploaded through this page can be ingested: upload the file again")
    return list(paths or [])


def _escape(text: str) -> str:
    import html

    return html.escape(text, quote=False)


def _progress(progress: Any, label: str) -> Any:
    if progress is None:
        return None

    def update(done: int, total: int, name: str) -> None:
        progress((done, total), desc=f"{label}: {Path(name).name}" if name else label, unit="files")

    return update


def build_app(rag: NewsRAG) -> gr.Blocks:
    """The chat app over ``rag``; not launched (see ``ui.launch``)."""
    ui = ChatUI(rag)
    s = rag.settings
    with gr.Blocks(title="newsrag", fill_width=True) as app:
        turns = gr.State([])
        pending = gr.State("")
        with gr.Row(visible=False, elem_id="nr-offer") as offer:
            gr.Markdown("**No articles yet.** Load the built-in sample articles to try newsrag, or upload your own.")
            samples_btn = gr.Button("Load the sample articles", variant="primary", elem_id="nr-load-samples")
        notice = gr.Markdown(elem_id="nr-notice")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"), gr.Row(equal_height=False):
                with gr.Column(scale=3):
                    chat = gr.Chatbot(
                        elem_id="nr-chat",
                        height=560,
                        label="Answers from your articles",
                        feedback_options=None,
                        buttons=["copy"],
                    )
                    with gr.Row():
                        box = gr.Textbox(
                            placeholder="Ask about the articles…",
                            show_label=False,
                            scale=6,
                            elem_id="nr-question",
                            max_length=s.max_question_chars,
                        )
                        send = gr.Button("Ask", variant="primary", scale=1, elem_id="nr-ask")
                    clear = gr.Button("New conversation", size="sm")
                with gr.Column(scale=2):
                    gr.Markdown("### Sources")
                    sources = gr.HTML(sources_html([]), elem_id="nr-sources")
            with gr.Tab("Articles", id="articles"):
                corpus_line = gr.Markdown(elem_id="nr-corpus-line")
                files = gr.File(
                    label="Upload articles (.txt, .md, .html, .json, .jsonl; several at once)",
                    file_count="multiple",
                    file_types=sorted(SUPPORTED_SUFFIXES),
                    elem_id="nr-upload",
                )
                upload_result = gr.Markdown(elem_id="nr-upload-result")
                live = build_live_section(rag, ui.public, s.feed_every)
                search = gr.Textbox(placeholder="Search headlines, sources, dates, files…", show_label=False)
                table = gr.Dataframe(headers=ARTICLE_COLUMNS, interactive=False, wrap=True, elem_id="nr-articles")
                with gr.Row():
                    picked = gr.Dropdown(label="Delete articles", multiselect=True, choices=[], scale=5)
                    delete = gr.Button("Delete", variant="stop", scale=1)
            with gr.Tab("Stories", id="stories") as stories_tab:
                load_stories, story_inputs, story_outputs = build_stories_tab(rag, ui.public)
            with gr.Tab("Settings", id="settings"):
                top_k = gr.Slider(1, 12, value=s.top_k, step=1, label="Passages per answer (top-k)")
                settings_md = gr.Markdown(elem_id="nr-settings")

        corpus_outputs = [table, picked, offer, corpus_line]
        answer_inputs = [pending, chat, turns, top_k]
        hidden: dict[str, Any] = {"api_visibility": "private"}  # page plumbing; the API is ``ask`` below
        for trigger in (box.submit, send.click):
            trigger(ui.submit, [box, chat], [box, chat, pending], queue=False, **hidden).then(
                ui.respond,
                answer_inputs,
                [chat, sources, turns],
                # The engine's answer gate orders the model's work and shows each chat its place.
                concurrency_limit=s.max_waiting_questions,
                concurrency_id="answer",
                **hidden,
            ).then(ui.offer, None, offer, queue=False, **hidden)
        clear.click(ui.clear, None, [chat, sources, turns], queue=False, **hidden)

        def load_samples(progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
            return ui.load_samples(progress)

        def upload(paths: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
            # The picker is emptied: its files were deleted from Gradio's cache (see ``_drop_gradio_copies``).
            return (*ui.upload(_only_uploaded(paths), progress), None)

        refresh = {"fn": ui.settings_text, "inputs": top_k, "outputs": settings_md, **hidden}
        stories = {"fn": load_stories, "inputs": story_inputs, "outputs": story_outputs, "queue": False, **hidden}
        samples_btn.click(load_samples, None, [*corpus_outputs, notice], concurrency_id="ingest", **hidden).then(
            **refresh
        ).then(**stories)
        upload_outputs = [*corpus_outputs, upload_result, files]
        files.upload(upload, files, upload_outputs, concurrency_id="ingest", **hidden).then(**refresh).then(**stories)
        search.change(ui.corpus_view, search, corpus_outputs, queue=False, **hidden)
        delete.click(
            ui.delete, [picked, search], [*corpus_outputs, upload_result], concurrency_id="ingest", **hidden
        ).then(**refresh).then(**stories)
        for event in live.events:  # pages fetched, feeds followed or refreshed: the table shows them
            event.then(ui.corpus_view, search, corpus_outputs, queue=False, **hidden).then(**refresh).then(**stories)
        top_k.change(ui.settings_text, top_k, settings_md, queue=False, **hidden)
        app.load(ui.corpus_view, None, corpus_outputs, **hidden).then(ui.settings_text, top_k, settings_md, **hidden)
        app.load(live.load, None, live.load_outputs, **hidden)
        app.load(**stories)
        stories_tab.select(**stories)  # opened later: background feed refreshes may have added stories
        gr.api(ui.ask_api, api_name="ask", concurrency_id="answer")
    return app
