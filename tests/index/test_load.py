"""Loading articles: splitting, headline attribution, cleaning, formats and bad input."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from index.clean import clean_article, parse_date
from index.errors import InputError
from index.load import discover, load_file, split_articles


def test_sample_files_hold_five_articles_with_their_headlines(samples_dir: Path) -> None:
    files, problems = discover([samples_dir])
    assert problems == []
    titles = [a.title for f in files for a in load_file(f).articles]
    assert titles == [
        "Israel Sees Progress in Lebanon Ceasefire Talks, Says Russia Can Help",
        "Moscow Open to Dialogue with Trump on Syria",
        "Russia’s Putin Speaks to Palestinians, Syria, Egypt, Iran and Israel",
        "Lebanon, Israel Ceasefire Deal Will Take Place in Three Phases and ‘Simultaneous’ Withdrawals",
        "Negotiating a Ceasefire: Progress and Challenges in Israel-Hezbollah Truce Talks",
    ]


def test_passages_stay_under_their_own_headline(samples_dir: Path) -> None:
    loaded = load_file(samples_dir / "001_fb5b78a250b89a8b.txt")
    putin, deal = loaded.articles
    assert "Ushakov" in putin.text and "Ushakov" not in deal.text
    assert "60-day truce" in deal.text and "60-day truce" not in putin.text
    assert putin.article_id != deal.article_id


def test_cleaning_drops_repeated_headline_captions_and_layout_tokens(samples_dir: Path) -> None:
    first = load_file(samples_dir / "000_0e868e9262ff71bb.txt").articles[0]
    assert first.title not in first.text
    assert "(AP)" not in first.text
    assert "\nTT\n" not in f"\n{first.text}\n"
    assert first.text.startswith("Israel said on Monday there was progress")


def test_header_date_becomes_publication_date_and_disclaimer_is_dropped(samples_dir: Path) -> None:
    icaro = load_file(samples_dir / "004_f7c72934c7020051.txt").articles[0]
    assert icaro.published_at == date(2024, 11, 22)
    assert "do not reflect the opinion" not in icaro.text
    assert not icaro.text.rstrip().endswith("Related")
    assert "###" not in icaro.text


def test_single_blank_lines_do_not_split_an_article() -> None:
    text = "Headline One\n\nFirst paragraph.\n\nSecond paragraph.\n\n\nHeadline Two\n\nOther story."
    assert [t for t, _ in split_articles(text)] == ["Headline One", "Headline Two"]


def test_a_paragraph_after_a_double_gap_is_not_a_new_article() -> None:
    text = "Headline\n\nFirst paragraph.\n\n\nthis continues the story after a stray gap."
    pairs = split_articles(text)
    assert len(pairs) == 1 and "continues the story" in pairs[0][1]


def test_markdown_h1_headings_start_articles(tmp_path: Path) -> None:
    md = tmp_path / "digest.md"
    md.write_text("# Storm hits coast\nWinds reached 120 km/h.\n# Markets rally\nStocks rose 2%.\n")
    arts = load_file(md).articles
    assert [a.title for a in arts] == ["Storm hits coast", "Markets rally"]
    assert "120 km/h" in arts[0].text and "Stocks" in arts[1].text


def test_html_main_text_without_scripts_or_navigation(tmp_path: Path) -> None:
    page = tmp_path / "story.html"
    page.write_text(
        """<html><head><title>Port strike ends after 12 days</title>
        <meta property="article:published_time" content="2024-03-05T10:00:00Z">
        <script>var tracking = "SECRET_SCRIPT";</script></head>
        <body><nav><a href="/">Home</a> <a href="/world">NAVIGATION_LINK</a></nav>
        <article><h1>Port strike ends after 12 days</h1>
        <p>Dock workers returned on Tuesday after the union accepted a 9 percent pay rise over three years.</p>
        <p>The strike had halted container traffic at the country's largest port for nearly two weeks.</p>
        </article><footer>Cookie settings</footer></body></html>"""
    )
    art = load_file(page).articles[0]
    assert art.title == "Port strike ends after 12 days"
    assert "9 percent pay rise" in art.text
    assert "SECRET_SCRIPT" not in art.text and "NAVIGATION_LINK" not in art.text
    assert art.published_at == date(2024, 3, 5)


def test_jsonl_records_with_field_aliases_and_bad_lines(tmp_path: Path) -> None:
    f = tmp_path / "feed.jsonl"
    lines = [
        json.dumps(
            {
                "title": "A",
                "body": "Alpha text.",
                "url": "https://ex.com/a",
                "publish_date": "2022-06-17",
                "source": "Ex News",
                "author": "Kim",
            }
        ),
        "{not json",
        json.dumps({"title": "No text here"}),
        json.dumps({"headline": "B", "text": "Beta text.", "date": "June 18, 2022"}),
    ]
    f.write_text("\n".join(lines) + "\n")
    loaded = load_file(f)
    a, b = loaded.articles
    assert (a.title, a.url, a.source, a.author, a.published_at) == (
        "A",
        "https://ex.com/a",
        "Ex News",
        "Kim",
        date(2022, 6, 17),
    )
    assert b.title == "B" and b.published_at == date(2022, 6, 18) and b.source == str(f)
    assert any(":2:" in w and "invalid JSON" in w for w in loaded.warnings)
    assert any(":3:" in w and "no 'text'" in w for w in loaded.warnings)


def test_json_array_and_articles_wrapper(tmp_path: Path) -> None:
    f = tmp_path / "a.json"
    f.write_text(json.dumps({"articles": [{"title": "X", "text": "x body"}, {"title": "Y", "content": "y body"}]}))
    assert [a.title for a in load_file(f).articles] == ["X", "Y"]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.txt", b"   \n\n", "file is empty"),
        ("binary.txt", bytes(range(256)) * 20, "binary"),
        ("broken.json", b'{"title": "x", "text": ', "invalid JSON"),
        ("nothing.jsonl", b'{"title": "only a title"}\n', "no article text"),
    ],
)
def test_unusable_files_raise_one_line_errors(tmp_path: Path, name: str, data: bytes, message: str) -> None:
    f = tmp_path / name
    f.write_bytes(data)
    with pytest.raises(InputError, match=message) as info:
        load_file(f)
    assert "\n" not in str(info.value)


def test_non_utf8_text_is_read_with_a_warning(tmp_path: Path) -> None:
    f = tmp_path / "latin.txt"
    f.write_bytes("Café owners protest\n\nThe café owners in Zürich protested rents.".encode("cp1252"))
    loaded = load_file(f)
    assert "Zürich" in loaded.articles[0].text
    assert any("not UTF-8" in w for w in loaded.warnings)


def test_discover_reports_missing_and_unsupported_paths(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("T\n\nbody.")
    (tmp_path / "img.png").write_bytes(b"\x89PNG")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "b.txt").write_text("T\n\nbody.")
    files, problems = discover([tmp_path, tmp_path / "missing.txt", tmp_path / "img.png"])
    assert [f.name for f in files] == ["a.txt"]
    assert [why.split(":")[0] for _, why in problems] == ["no such file or folder", "unsupported file type .png"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("22/11/2024 20h27", date(2024, 11, 22)),
        ("2022-06-17T08:00:00Z", date(2022, 6, 17)),
        ("Nov. 26, 2024", date(2024, 11, 26)),
        ("Politics", None),
        ("ICARO Media Group", None),
        ("Tuesday, July 21, 2020", date(2020, 7, 21)),
        ("Feb 29, 2024", date(2024, 2, 29)),
    ],
)
def test_parse_date(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # No year written: unknown, not this year (#32).
        ("May 5", None),
        ("Nov. 22", None),
        ("Tuesday, Jan. 14", None),
        ("March", None),
        ("June 12-13", None),  # not 2013
        ("1. January 6", None),  # not 2006
        ("2025", None),  # a year alone is no day
        # A month and year: the 1st, not today's day of the month.
        ("November 2024", date(2024, 11, 1)),
        ("Feb 2024", date(2024, 2, 1)),
    ],
)
def test_parse_date_reads_only_what_the_text_gives(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


def test_a_header_date_without_a_year_leaves_the_article_undated() -> None:
    text, found = clean_article("NBA Cup", "Tuesday, Nov. 19\nThe Knicks beat the Celtics on Tuesday.")
    assert found is None
    assert text.startswith("Tuesday, Nov. 19")  # kept as text: it was not read as the date


def test_cookie_and_ad_feedback_lines_are_removed() -> None:
    body = (
        "We use cookies to improve your experience.\n1. How relevant is this ad to you?\n"
        "Video player was slow to load content\nThe council approved the budget on Monday."
    )
    text, _ = clean_article("Budget passes", body)
    assert text == "The council approved the budget on Monday."


@pytest.mark.parametrize(
    "line",
    [
        # A news sentence that mentions a boilerplate phrase (#32): only a whole line of it goes.
        'The court ruled that a banner reading "We use cookies" breached privacy law, the regulator said.',
        'Readers were told to "Subscribe now for full access" on every page, the lawsuit says.',
        "Meta changed its cookie policy after the ruling, the company said on Tuesday.",
        "Biden warned that an invasion was virtually certain once the ground had frozen in February.",  # "ad froze"
    ],
)
def test_a_news_sentence_mentioning_a_boilerplate_phrase_is_kept(line: str) -> None:
    text, _ = clean_article("Privacy ruling", f"{line}\nThe fine was 2 million euros.")
    assert text == f"{line}\nThe fine was 2 million euros."


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ("We use cookies to improve your experience. By continuing you accept our terms.", ""),
        ("[ Subscribe now for even more great Wolverines coverage! ]", ""),
        ("SUPPORT JOURNALISM: Subscribe today to get access to all of our coverage", ""),
        ("Want this news roundup in your inbox every night? Sign up for the OnPolitics newsletter here.", ""),
        ("Read more on Ford and sign up for our autos newsletter.", ""),
        # A paragraph that ends in a footer keeps what comes before it.
        (
            "Police said the suspect fled on foot toward the river before officers arrived. "
            "Sign up for our newsletter.",
            "Police said the suspect fled on foot toward the river before officers arrived.",
        ),
    ],
)
def test_boilerplate_lines_go_and_footers_are_cut(line: str, kept: str) -> None:
    text, _ = clean_article("Privacy ruling", f"{line}\nThe fine was 2 million euros.")
    assert text == (f"{kept}\n" if kept else "") + "The fine was 2 million euros."
