"""Clean scraped news text before chunking.

Removes what scrapers leave around an article body: the headline and photo captions repeated
several times, agency caption credits, lone layout tokens ("TT"), cookie/consent lines, ad
feedback forms, newsletter and "related" blocks, and opinion disclaimers: a boilerplate phrase
counts where it opens a sentence or clause, not quoted or inside a news sentence, and a news
paragraph ending in such a footer is cut where the footer starts. Also finds a publication
date written on its own line near the top. It works line by line on plain text and leaves out
anything that needs the page structure (HTML is handled in ``load``).
"""

from __future__ import annotations

import re
from datetime import date, datetime

from dateutil import parser as dateparser

# Phrases that mark boilerplate wherever they open a sentence or clause (``_without_boilerplate``).
_PHRASES = [
    r"how relevant is this ad to you",
    r"video player was slow to load",
    r"ad (?:froze|never loaded|was repetitive)",
    r"content moved around while the ad loaded",
    r"if you wish to object to the use of your data",
    r"we use cookies",
    r"(?:accept|manage) (?:all )?cookies",
    r"cookie (?:policy|settings|preferences)",
    r"sign up (?:for|to) (?:our|the) .*newsletter",
    r"subscribe (?:now|today) (?:to|for)",
    r"already a subscriber",
    r"the views expressed in this article do not (?:necessarily )?reflect",
]
# Whole lines, or their start or end, that are boilerplate.
_LINES = [
    r"^advertisement$",
    r"^related(?: articles| stories| content)?:?$",
    r"^read more:?$",
    r"^share (?:this|on) ",
    r"^click here to ",
    r"^follow us on ",
    r"^copyright \d{4}",
    r"all rights reserved\.?$",
]
_PHRASE_RE = re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in _PHRASES) + r")", re.IGNORECASE)
_LINE_RE = re.compile("|".join(f"(?:{p})" for p in _LINES), re.IGNORECASE)
# What comes before a phrase that opens a sentence or clause: nothing, list markers, punctuation,
# a capitalised word ("SUPPORT JOURNALISM:", "Try 6 Free Issues Sign up for …") or a joining word
# ("Read more on Ford and sign up …"). A lowercase word or a possessive before it ("its cookie
# policy", "Meta's cookie policy") makes the phrase part of a sentence that mentions it.
_OPENER_RE = re.compile(r"(?:^|[.!?:;,(\[•*#–—&-][\"'”’)\]]*|\b(?i:and|or|can|please)|\b[A-Z]\w*)\s*$")
_QUOTES = "\"'“‘«"
_SENTENCE_END_RE = re.compile(r"[.!?:;][\"'”’)\]]*\s+")
# A photo caption ends with an agency credit in parentheses: "... Oct. 22, 2024. (AP)".
_CAPTION_RE = re.compile(
    r"\((?:AP|AFP|Reuters|EPA|Getty Images|Getty|Xinhua|Anadolu|SPA|WAFA|File photo)"
    r"(?:[/ ][^)]{0,40})?\)\s*$",
    re.IGNORECASE,
)
_TIME_RE = re.compile(r"\b\d{1,2}[h:]\d{2}(?::\d{2})?\b")
_DATEISH_RE = re.compile(r"\d{4}|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b", re.I)
_DEFAULTS = (datetime(1904, 1, 1), datetime(1908, 2, 2))  # leap years: "Feb 29" reads in both


def normalize_space(text: str) -> str:
    """Collapse runs of spaces/tabs; strip control characters (except newlines) and bidi overrides.

    Bidirectional override/isolate marks can make displayed text read differently from what is
    stored (a spoofing trick), so they go too.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]", " ", text)
    return re.sub(r"[ \t]+", " ", text)


def parse_date(value: str) -> date | None:
    """Parse a publication date written in a common news format; None when it is not one.

    Only what the text states is read: a date whose year is not written out in four digits
    ("May 5", "Tuesday, Nov. 19", "June 12-13", where the 13 would be read as 2013) is None, as is
    a year alone, rather than a day taken from today's date. A month and year with no day
    ("November 2024") is the 1st of that month: callers sort, window and filter by the date,
    and the 1st keeps the article in its month without dating it after a question asked later
    that month. Guessing the year from the article's other dates is left to the caller.
    """
    value = value.strip()
    if not value or len(value) > 60 or not _DATEISH_RE.search(value):
        return None
    value = _TIME_RE.sub(" ", value)
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        pass
    # dateutil fills what the text leaves out from ``default``: two defaults that differ in
    # every field tell the fields written from the filled ones.
    first, second = (_dateutil(value, default) for default in _DEFAULTS)
    if first is None or second is None:
        return None
    if first.year != second.year or first.month != second.month or str(first.year) not in value:
        return None
    return first if first.day == second.day else first.replace(day=1)


def _dateutil(value: str, default: datetime) -> date | None:
    try:
        # Day-first: most non-US outlets write 22/11/2024; dateutil still reads 11/22/2024.
        parsed = dateparser.parse(value, dayfirst=True, fuzzy=False, default=default)
    except (ValueError, OverflowError, TypeError):
        return None
    if parsed is None or not 1900 <= parsed.year <= 2100:
        return None
    return parsed.date()


def _without_boilerplate(line: str) -> str:
    """``line`` less its boilerplate: "" for a boilerplate line, and a paragraph that ends in a
    footer ("… You can reach her at kwebb@pbdailynews.com. Subscribe today to support our
    journalism.") cut where the footer's sentence starts.

    A phrase counts only where it opens a sentence or clause, unquoted: a news sentence that
    mentions it ("a banner reading \"We use cookies\" breaches the law", "Meta changed its cookie
    policy") is kept. When the footer is most of the line, the whole line goes: what comes before
    it is the footer's own lead-in ("Want this news roundup in your inbox every night?").
    """
    if _LINE_RE.search(line):
        return ""
    for m in _PHRASE_RE.finditer(line):
        before = line[: m.start()]
        if before.endswith(tuple(_QUOTES)) or not _OPENER_RE.search(before):
            continue
        ends = list(_SENTENCE_END_RE.finditer(before))
        while ends and ends[-1].group()[0] in "?:":  # the footer's lead-in: "Want this in your inbox?"
            ends.pop()
        start = ends[-1].end() if ends else 0
        kept = line[:start].strip()
        return kept if len(kept.split()) > len(line[start:].split()) else ""
    return line


def _key(line: str) -> str:
    return re.sub(r"\W+", " ", line).strip().lower()


def clean_article(title: str, body: str) -> tuple[str, date | None]:
    """Return the cleaned body text and a publication date found in its header lines.

    Paragraph breaks are kept as blank lines so the chunker can prefer them.
    """
    title_key = _key(title)
    seen: set[str] = set()
    out: list[str] = []
    found_date: date | None = None
    for n, raw in enumerate(normalize_space(body).split("\n")):
        line = raw.strip().lstrip("#").strip() if raw.lstrip().startswith("#") else raw.strip()
        if not line:
            if out and out[-1] != "":
                out.append("")
            continue
        key = _key(line)
        if not key or key == title_key or (key in seen and len(key) > 15):
            continue
        seen.add(key)
        if len(line) <= 3 and not line[0].isdigit():
            continue  # layout tokens such as "TT"
        line = _without_boilerplate(line)
        if not line or _CAPTION_RE.search(line):
            continue
        if found_date is None and n < 12 and len(line) <= 40:
            parsed = parse_date(line)
            if parsed is not None:
                found_date = parsed
                continue
        out.append(line)
    text = "\n".join(out).strip()
    return re.sub(r"\n{3,}", "\n\n", text), found_date
