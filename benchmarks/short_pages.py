"""How often the news-brief rule of ``index.web.parse.extract`` fires on real news text, and whether rightly.

    .venv/bin/python benchmarks/short_pages.py ../shared/datasets/realtimeqa-dev \
        ../shared/datasets/realtimeqa-2025 ../shared/datasets/realtimeqa-2026-dev

The RealTimeQA folders hold extracted text, not HTML, so each text is put back into a plain
news page (its paragraphs inside ``<article>``) and read by ``extract_page`` as a fetched page
is: the worst case, where every page says it is an article. It prints

* the pool's pages under ``MIN_WORDS`` words, and which of them the brief rule now takes;
* briefs made of the first two sentences of each pool article (a lead is what a brief says):
  how many today's 30-word floor refuses and how many are now taken;
* every pool paragraph a ``_WALL_PHRASES`` phrase marks, for a person to read and say which
  are reporting (a false mark) and which are paywall, sign-up or cookie text;
* the test and example pages (``tests/web/pages.py``, ``examples/live/news``): all still taken.

Nothing is asserted; the numbers go in docs/RELIABILITY.md by hand. About 2 minutes on one core.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from html import escape
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index.clean import clean_article
from index.web.parse.extract import BRIEF_MIN_WORDS, MIN_WORDS, _is_wall, extract_page
from index.web.types import FetchError
from rag.text import split_sentences

ROOT = Path(__file__).resolve().parent.parent


def pool(folders: list[Path]) -> dict[str, tuple[str, str]]:
    """url -> (title, cleaned text) over every search result of the folders, first seen kept."""
    seen: dict[str, tuple[str, str]] = {}
    for folder in folders:
        for path in sorted((folder / "gcs").glob("*.jsonl")):
            for line in path.read_text(encoding="utf-8").splitlines():
                for hit in json.loads(line).get("search_result") or []:
                    url, text = hit.get("url"), hit.get("text") or ""
                    if url and text and url not in seen:
                        title = hit.get("title") or ""
                        seen[url] = (title, clean_article(title, text)[0])
    return seen


def taken(title: str, paragraphs: list[str]) -> bool:
    """Whether ``extract_page`` takes a news page whose ``<article>`` holds these paragraphs."""
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    html = (
        f"<html><head><title>{escape(title)}</title></head><body><header><a href='/'>Home</a></header>"
        f"<main><article><h1>{escape(title)}</h1>{body}</article></main></body></html>"
    )
    try:
        extract_page(html, url="https://news.example/story")
    except FetchError:
        return False
    return True


def lead(text: str) -> str:
    """The first two sentences of the first paragraph that reads as prose (six words and a full stop)."""
    for para in text.split("\n"):
        if len(para.split()) >= 6 and any(c in para for c in ".!?"):
            return " ".join(para[a:b] for a, b in split_sentences(para)[:2])
    return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("folders", nargs="+", type=Path, help="RealTimeQA folders (with gcs/*.jsonl)")
    args = parser.parse_args()
    pages = pool(args.folders)
    print(f"pool: {len(pages):,} pages with text; floors: {MIN_WORDS} words, {BRIEF_MIN_WORDS} for a brief\n")

    print("## Pool pages under the floor")
    short = [(url, t, x) for url, (t, x) in pages.items() if len(x.split()) < MIN_WORDS]
    sizes = Counter(
        "empty" if not x.split() else f"1-{BRIEF_MIN_WORDS - 1}" if len(x.split()) < BRIEF_MIN_WORDS else "brief size"
        for _, _, x in short
    )
    print(f"{len(short)} under {MIN_WORDS} words: {dict(sizes)}")
    for url, title, text in short:
        if len(text.split()) >= BRIEF_MIN_WORDS:
            verdict = "TAKEN" if taken(title, text.split("\n")) else "refused"
            print(f"  {verdict}: {len(text.split())} words {url}\n    {text[:300]!r}")

    print("\n## Two-sentence briefs from the pool's leads")
    leads = [(t, b) for t, x in pages.values() if len(x.split()) >= MIN_WORDS and (b := lead(x))]
    under = [(t, b) for t, b in leads if len(b.split()) < MIN_WORDS]
    now = sum(taken(t, [b]) for t, b in under)
    floor = sum(len(b.split()) < BRIEF_MIN_WORDS for _, b in under)
    print(f"{len(leads):,} leads; {len(under):,} under {MIN_WORDS} words (refused today); now taken {now:,}; ")
    print(f"under the brief floor of {BRIEF_MIN_WORDS} words: {floor:,} (timestamps, bylines, one-line teasers)")
    refused = [b for t, b in under if len(b.split()) >= BRIEF_MIN_WORDS and not taken(t, [b])]
    for b in refused:
        print(f"  refused at or over the brief floor: {b!r}")

    print("\n## Pool paragraphs carrying a wall phrase (read them: reporting or wall?)")
    paragraphs = {p for _, x in pages.values() for p in x.split("\n") if p.strip()}
    marked = sorted(p for p in paragraphs if _is_wall(p))
    print(f"{len(marked)} of {len(paragraphs):,} distinct paragraphs")
    for p in marked:
        print(f"  {p[:160]!r}")

    print("\n## Test and example pages")
    from tests.web.pages import STORIES, article_html

    examples = sorted((ROOT / "examples" / "live" / "news").glob("*.html"))
    htmls = [article_html(s) for s in STORIES.values()] + [p.read_text(encoding="utf-8") for p in examples]
    ok = 0
    for html in htmls:
        try:
            extract_page(html, url="https://news.example/story")
            ok += 1
        except FetchError:
            pass
    print(f"{ok} of {len(htmls)} taken")


if __name__ == "__main__":
    main()
