"""``newsrag stories``: the stories of the corpus, one line each, or one story's timeline.

``newsrag stories [--search WORDS] [--min-articles N] [--json]`` lists stories newest first;
``--show STORY_ID`` prints one story's articles by date with headline, source and key sentence;
``--rebuild`` regroups the whole index (after changing the ``story_*`` settings). Grouping itself
is ``index.stories``' (reached through ``NewsRAG.stories``).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from rag.cli.common import ConfigOpt, DataDirOpt, fail, guard, open_rag, out


def _dates(story: Any) -> str:
    if story.first is None:
        return "undated"
    return str(story.first) if story.first == story.last else f"{story.first} … {story.last}"


def stories(
    search: Annotated[str | None, typer.Option("--search", help="Only stories mentioning every word.")] = None,
    show: Annotated[str | None, typer.Option("--show", help="Print this story's articles by date.")] = None,
    min_articles: Annotated[int, typer.Option("--min-articles", min=1, help="Only stories of this many articles.")] = 1,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Regroup every stored article first.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Stories: stored articles that report the same developing event, newest first."""
    rag = guard(lambda: open_rag(config, data_dir))
    if rebuild:
        done = guard(rag.stories.rebuild)
        out.print(f"regrouped {done.assigned} article(s) into {done.stories} story(ies)")
    if show is not None:
        found = guard(lambda: rag.stories.get(show))
        if found is None:
            fail(f"no story {show!r}: `newsrag stories` lists the story ids")
        story, articles = found
        if as_json:
            out.print_json(json.dumps({**story.summary(), "articles": [asdict(a) for a in articles]}))
            return
        out.print(f"[bold]{escape(story.label)}[/] ({_dates(story)}, {len(articles)} article(s))")
        for a in articles:
            out.print(
                f"\n[cyan]{a.published_at or 'undated'}[/]  {escape(a.title)}  [dim]{escape(a.url or a.source)}[/]"
            )
            out.print(f"  {escape(a.key_sentence)}")
        return
    found_stories = guard(lambda: rag.stories.list(search, min_articles))
    if as_json:
        out.print_json(json.dumps([s.summary() for s in found_stories]))
        return
    if not found_stories:
        if search or min_articles > 1:
            out.print(f"no story{' of ' + str(min_articles) + '+ articles' if min_articles > 1 else ''} matches")
        else:
            out.print("no stories yet: ingest articles with `newsrag ingest PATH`")
        return
    table = Table("story", "dates", "articles", "label")
    for s in found_stories:
        table.add_row(s.story_id, _dates(s), str(len(s.article_ids)), escape(s.label))
    out.print(table)


def register(app: typer.Typer) -> None:
    app.command()(stories)
