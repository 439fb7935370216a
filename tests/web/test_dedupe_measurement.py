"""The measurement behind the dedupe threshold counts what it says it counts.

``evals.duplicates`` on a made-up pool of articles: the shingle index finds the copy pair (and
no pair of unrelated stories), its scores are ``resemblance``'s, copies chain into one group, and
precision/recall leave "junk" pairs out. The pool itself is not shipped; see the module.
"""

from __future__ import annotations

import json
from pathlib import Path

from evals.duplicates import copy_groups, label_report, score_pairs
from index.types import Article
from index.web.dedupe import resemblance
from tests.web.test_dedupe import ORIGINAL, OTHER_STORY, UNRELATED


def article(n: int, text: str) -> Article:
    return Article(
        f"a{n}", f"title {n}", text, f"https://example.org/{n}", "pool.jsonl", url=f"https://example.org/{n}"
    )


POOL = [
    article(0, "\n\n".join(ORIGINAL)),
    article(1, "\n\n".join(ORIGINAL[:-1])),  # a copy with its ending trimmed
    article(2, "\n\n".join(ORIGINAL[1:])),  # a copy with its first paragraph trimmed
    article(3, OTHER_STORY),
    article(4, UNRELATED),
]


def test_pairs_are_the_copies_scored_by_resemblance() -> None:
    pairs = score_pairs(POOL)
    by_ids = {(p["i"], p["j"]): p["containment"] for p in pairs}
    assert {(0, 1), (0, 2), (1, 2)} <= set(by_ids)
    assert by_ids[(0, 1)] == round(resemblance(POOL[0].text, POOL[1].text), 4) == 1.0
    assert (3, 4) not in by_ids and (0, 4) not in by_ids  # nothing shared, never scored
    assert pairs == sorted(pairs, key=lambda p: -p["containment"])


def test_copies_chain_into_one_group() -> None:
    groups = copy_groups(len(POOL), score_pairs(POOL), 0.9)
    assert [sorted(g) for g in groups] == [[0, 1, 2]]


def test_precision_and_recall_leave_junk_pairs_out(tmp_path: Path) -> None:
    labels = tmp_path / "labels.jsonl"
    rows = [
        {"url_a": POOL[0].url, "url_b": POOL[1].url, "label": "same"},
        {"url_a": POOL[2].url, "url_b": POOL[0].url, "label": "junk"},  # either order matches
    ]
    labels.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    report = label_report(labels, score_pairs(POOL))
    assert (report["labelled"], report["same"], report["junk"]) == (2, 1, 1)
    at_09 = next(r for r in report["containment"] if r["threshold"] == 0.9)
    assert at_09 == {"threshold": 0.9, "precision": 1.0, "recall": 1.0, "flagged": 1}
