"""Tell a syndicated or updated copy of an article that is already stored.

The same story reaches newsrag from many outlets: an agency text under each outlet's URL and
headline, with the outlet's own boilerplate, a dateline, a trimmed last paragraph, curly or
straight quotes. ``resemblance`` scores two texts by their shared word 5-shingles; ``CopyFinder``
asks the store's vectors for the few stored articles nearest to a new article's headline and
lead, and confirms each candidate with ``resemblance`` on the stored text, after cleaning the new
text as ingest cleans what it stores (``index.clean``: newsletter, cookie and copyright lines go),
so the two are compared in the same form.

``THRESHOLD`` and ``CANDIDATES`` were measured on the RealTimeQA pool (``evals.duplicates``;
labelled pairs in ``tests/data/duplicate_pairs.jsonl``). It leaves out canonical-URL matching
(the caller's first check), merging sources into one record (``library``), and texts too short
to judge (fewer than ``MIN_SHINGLES`` shingles: a cookie banner or paywall stub matches every
other one and says nothing about the article).

``CopyFinder.find_deleted`` does the same against the articles deleted by hand, which the
index no longer holds: their record (``index.store.deletions``) names the file and the
article's content hash, and the text is read back from that file (web records stay on disk
after a deletion). Without it a deleted story came back under a changed ``?utm=`` URL or as
another outlet's copy (#30). A deleted article whose file is gone cannot be recognised.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from index.clean import clean_article
from index.embed import Embedder
from index.errors import NewsragError
from index.load import load_file
from index.store.collection import ChromaStore

SHINGLE_WORDS = 5
MIN_SHINGLES = 40  # about 45 words; chosen, not measured (one cleaned pool article is shorter)
# Measured on the RealTimeQA pool (59 labelled pairs): copies score 0.92-1.0 (one same-day
# revision of an AP story 0.72), the nearest different articles 0.82-0.88 (a photo gallery
# quoted by its story, a list re-published a year later). Precision first: a wrong merge drops
# the new article's news, a missed one only stores a copy.
THRESHOLD = 0.9
# Measured there with MiniLM: the partner of each labelled copy (32 directions) is among the 2
# nearest stored articles in a chunked store (all 32; 30 when only leads are stored); 3 leaves a
# slot for a third copy of the same page.
CANDIDATES = 3
_LEAD_CHARS = 1200  # the embedder reads 256 word pieces: about this much headline + lead
_WORD = re.compile(r"\w+")


def shingles(text: str) -> frozenset[int]:
    """Hashed word 5-shingles of ``text`` after NFKC, casefolding and dropping punctuation.

    Punctuation goes so that quote styles, dashes and "(AP) —" datelines do not split a shingle
    from its copy; hashes stand in for the strings because only equality matters.
    """
    words = _WORD.findall(unicodedata.normalize("NFKC", text).casefold())
    return frozenset(map(hash, zip(*(words[i:] for i in range(SHINGLE_WORDS)), strict=False)))


def containment(a: frozenset[int], b: frozenset[int]) -> float:
    """Share of the smaller shingle set found in the other; 0.0 when either is too short to judge.

    The smaller set's share, not Jaccard: a copy with its ending trimmed or an outlet's
    boilerplate added keeps almost all of the shorter text's shingles while their union grows.
    """
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    if len(small) < MIN_SHINGLES:
        return 0.0
    return len(small & large) / len(small)


def resemblance(a: str, b: str) -> float:
    """How much of the shorter text occurs in the longer one, from 0.0 (nothing) to 1.0 (all of it).

    0.0 as well when the shorter text has fewer than ``MIN_SHINGLES`` shingles.
    """
    return containment(shingles(a), shingles(b))


@dataclass(frozen=True)
class Copy:
    """A stored article that a new one is a copy of."""

    article_id: str
    file_path: str
    url: str | None
    title: str
    similarity: float


def lead(title: str, text: str) -> str:
    """What the embedder reads of an article's first chunk: headline, blank line, opening text."""
    return f"{title}\n\n{text}"[:_LEAD_CHARS]


class CopyFinder:
    """Finds the stored article a new article copies, if any."""

    def __init__(
        self, store: ChromaStore, embedder: Embedder, threshold: float = THRESHOLD, candidates: int = CANDIDATES
    ) -> None:
        self._store = store
        self._embedder = embedder
        self.threshold = threshold
        self.candidates = candidates
        # (file path, its mtime and size) -> content hash -> (title, shingles) of the file's articles
        self._files: dict[tuple[str, float, int], dict[str, tuple[str, frozenset[int]]]] = {}

    def nearest_articles(self, title: str, text: str) -> list[str]:
        """Ids of the ``candidates`` stored articles whose chunks are nearest the new lead, nearest first."""
        vector = self._embedder.embed([lead(title, text)])[0]
        found: list[str] = []
        # A long article can fill the neighbour list with its own chunks: ask for a few per slot.
        for chunk_id, _ in self._store.nearest_ids(vector, self.candidates * 4):
            article_id = chunk_id.rsplit(":", 1)[0]  # chunk ids are "<article_id>:<n>" (index.chunk)
            if article_id not in found:
                found.append(article_id)
            if len(found) == self.candidates:
                break
        return found

    def find(self, title: str, text: str) -> Copy | None:
        """The most resembling stored article at or above the threshold, or None (also for too short a text)."""
        text, _ = clean_article(title, text)
        new = shingles(text)
        if len(new) < MIN_SHINGLES:
            return None
        best: Copy | None = None
        for article_id in self.nearest_articles(title, text):
            stored = self._store.article(article_id)
            if stored is None:
                continue
            info, stored_text = stored
            score = containment(new, shingles(stored_text))
            if score >= self.threshold and (best is None or score > best.similarity):
                best = Copy(info.article_id, info.file_path, info.url or None, info.title, score)
        return best

    def find_deleted(self, title: str, text: str) -> Copy | None:
        """The most resembling article deleted by hand, at or above the threshold, or None."""
        text, _ = clean_article(title, text)
        new = shingles(text)
        if len(new) < MIN_SHINGLES:
            return None
        best: Copy | None = None
        for deletion in self._store.deleted.records():
            found = self._deleted_text(deletion.file_path).get(deletion.content_hash)
            if found is None:
                continue
            score = containment(new, found[1])
            if score >= self.threshold and (best is None or score > best.similarity):
                best = Copy(deletion.article_id, deletion.file_path, None, deletion.title or found[0], score)
        return best

    def _deleted_text(self, file_path: str) -> dict[str, tuple[str, frozenset[int]]]:
        """The articles of a file by content hash, read once per version of the file ({} when unreadable)."""
        path = Path(file_path)
        try:
            stat = path.stat()
            key = (file_path, stat.st_mtime, stat.st_size)
            if key not in self._files:
                loaded = load_file(path)
                self._files = {k: v for k, v in self._files.items() if k[0] != file_path}
                self._files[key] = {
                    a.content_hash: (a.title, shingles(a.text))
                    for a in loaded.articles  # cleaned at load
                }
            return self._files[key]
        except (OSError, NewsragError):
            return {}
