"""How often three question and sentence rules fire where they should not (issue #32, part 2).

    .venv/bin/python benchmarks/rule_misfires.py ../shared/datasets [--embed] [--runs DIR ...] [-v]

Given the folder holding realtimeqa-2025, realtimeqa-2026-dev and realtimeqa-dev:

- follow-ups (``rag.retrieve.condense``): accuracy on ``tests/data/follow_ups.jsonl`` (chat-style
  pairs, labelled; "design" rows were written before the rule, "held-out" rows after it), and
  how many consecutive RealTimeQA questions (nearly all topic switches) are rewritten;
  ``--embed`` also runs it with the bundled MiniLM embedder;
- refusals (``rag.generate.prompt.is_refusal``): how many sentences of every article of the
  three pools read as a model refusal (every one is a misfire), and over the model replies of
  stored eval runs (``--runs``: folders with ``results.jsonl``) how many sentences it catches;
- the asked check (``rag.verify.asked``): how many questions of realtimeqa-2025 / 2026-dev have
  its shapes, and its firings on sentences that state the gold answer (misfires) and on a
  neighbouring sentence that does not (``tests/data/rtqa_count_gold.jsonl``: count questions with
  hand-checked gold sentences; ``tests/data/rtqa_role_questions.jsonl``: role questions asked
  of RealTimeQA people, with the pool sentences that state the role). Precision = firings on
  non-gold passages / all firings.

Nothing is asserted and no LLM is loaded; the numbers go in docs/EVALS.md by hand. Run it on
an older checkout (``PYTHONPATH=OLD``) for the before column. About a minute on one core.
"""

from __future__ import annotations

import argparse
import glob
import itertools
import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.generate.prompt import is_refusal
from rag.retrieve.condense import standalone_question
from rag.text import MARKER_RE, content_terms, split_sentences
from rag.types import Hit
from rag.verify.asked import _counted, _role, unmentioned

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
POOLS = ("realtimeqa-2025", "realtimeqa-2026-dev", "realtimeqa-dev")


def _jsonl(path: Path | str) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def _questions(root: Path) -> list[dict[str, Any]]:
    return [r for p in sorted(glob.glob(str(root / "qa" / "*_qa.jsonl"))) for r in _jsonl(p)]


def _plain(text: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", "", text).split())


def _sentences(texts: list[str]) -> list[str]:
    out = [" ".join(t[s:e].split()) for t in texts for s, e in split_sentences(t)]
    return list(dict.fromkeys(out))


def _hit(text: str) -> Hit:
    return Hit(chunk_id="c", text=text, title="", source="s")


def follow_ups(datasets: Path, embed: bool, verbose: bool) -> None:
    embedder = None
    if embed:
        from index.embed import MiniLMEmbedder

        embedder = MiniLMEmbedder()

    def rewritten(question: str, previous: str) -> bool:
        history = [(previous, "")]
        out = standalone_question(question, history, embedder) if embedder else standalone_question(question, history)
        return out != question

    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for row in _jsonl(DATA / "follow_ups.jsonl"):
        got = rewritten(row["question"], row["previous"])
        for key in (row["set"], f"{row['set']} {'follow-up' if row['follow_up'] else 'switch'}", "all"):
            total[key] += 1
            right[key] += got == row["follow_up"]
        if verbose and got != row["follow_up"]:
            print(f"  wrong ({'follow-up' if row['follow_up'] else 'switch'}): {row['question']}")
    print(f"\n## Follow-ups{' (with the embedder)' if embed else ''}\n\n| set | right | of |\n|---|---|---|")
    for key in sorted(total):
        print(f"| {key} | {right[key]} | {total[key]} |")
    for pool in POOLS:
        qs = [_plain(r["question_sentence"]) for r in _questions(datasets / pool)]
        fired = [q for prev, q in itertools.pairwise(qs) if rewritten(q, prev)]
        print(f"{pool}: {len(fired)} of {len(qs) - 1} consecutive questions rewritten")
        for q in fired if verbose else []:
            print(f"  {q[:160]}")


def refusals(datasets: Path, runs: list[Path], verbose: bool) -> None:
    seen: set[str] = set()
    sentences, fired = 0, []
    for pool in POOLS:
        for path in sorted(glob.glob(str(datasets / pool / "gcs" / "*_gcs.jsonl"))):
            for row in _jsonl(path):
                for article in row.get("search_result") or []:
                    url, text = article.get("url"), (article.get("text") or "").strip()
                    if not url or not text or url in seen:
                        continue
                    seen.add(url)
                    for part in (article.get("title") or "", text):
                        for s, e in split_sentences(part):
                            sentences += 1
                            if is_refusal(part[s:e]):
                                fired.append(" ".join(part[s:e].split()))
    exact = sum(bool(re.fullmatch(r"(?:So )?I don['’]t know\.?", f)) for f in fired)
    print(f"\n## Refusals\n\n{len(seen):,} articles, {sentences:,} sentences: {len(fired)} read as refusals")
    print(f"({exact} of them are '(So) I don't know.' itself)")
    for text in fired if verbose else []:
        print(f"  {text[:200]!r}")
    replies: Counter[str] = Counter()
    for run in runs:
        for path in sorted(run.glob("*/results.jsonl")) + sorted(run.glob("results.jsonl")):
            for row in _jsonl(path):
                plain = MARKER_RE.sub("", row.get("reply") or "")
                replies.update(plain[s:e].strip() for s, e in split_sentences(plain))
    if replies:
        caught = Counter({s: n for s, n in replies.items() if is_refusal(s)})
        print(f"stored replies: {sum(replies.values())} sentences, {sum(caught.values())} read as refusals:")
        for text, n in caught.most_common():
            print(f"  {n} x {text[:120]!r}")


def asked(datasets: Path, verbose: bool) -> None:
    questions: dict[str, dict[str, Any]] = {}
    articles: dict[str, list[str]] = defaultdict(list)
    print("\n## The asked check (CHECK_ASKED)\n")
    for pool in POOLS[:2]:
        rows = _questions(datasets / pool)
        shapes = Counter(
            "count" if _counted(_plain(r["question_sentence"])) else "role"
            for r in rows
            if _counted(_plain(r["question_sentence"])) or _role(_plain(r["question_sentence"]))
        )
        print(f"{pool}: {len(rows)} questions; count shape {shapes['count']}, role shape {shapes['role']}")
        questions.update((r["question_id"], r) for r in rows)
        for path in sorted(glob.glob(str(datasets / pool / "gcs" / "*_gcs.jsonl"))):
            for row in _jsonl(path):
                texts = [(a.get("text") or "").strip() for a in row.get("search_result") or []]
                articles[row["question_id"]] += [t for t in texts if t]
    counts = list(_jsonl(DATA / "rtqa_count_gold.jsonl"))
    gold_fired = questions_fired = distractors = distractor_fired = 0
    for g in counts:
        fired = [s for s in g["sentences"] if unmentioned(g["question"], [_hit(s)], [_hit(s)])]
        gold_fired += len(fired)
        questions_fired += bool(fired)
        for s in fired if verbose else []:
            print(f"  misfire: {g['question'][:80]} | {s[:120]}")
        answer = g["answer"].lower().replace(",", "").split()[0]
        evidence = _plain(questions[g["id"]].get("evidence") or "")
        near = [
            s
            for s in _sentences([*articles[g["id"]], evidence])
            if re.search(r"\d", s) and answer not in s.lower().replace(",", "") and s not in g["sentences"]
        ]
        if near:
            terms = content_terms(g["question"])
            closest = max(near, key=lambda s: sum(w for k, w in terms.items() if k in content_terms(s)))
            distractors += 1
            distractor_fired += bool(unmentioned(g["question"], [_hit(closest)], [_hit(closest)]))
    total = sum(len(g["sentences"]) for g in counts)
    print(
        f"count: {len(counts)} questions, {total} gold sentences: fired on {gold_fired} sentences of "
        f"{questions_fired} questions; on the closest other sentence with a number: {distractor_fired} of {distractors}"
    )
    roles = [r for r in _jsonl(DATA / "rtqa_role_questions.jsonl") if _role(r["question"])]
    role_fired = sentences_fired = role_distractor_fired = 0
    for i, r in enumerate(roles):
        if unmentioned(r["question"], [_hit(s) for s in r["sentences"]], []):
            role_fired += 1
            if verbose:
                print(f"  misfire: {r['question']} ({r['answer']})")
        sentences_fired += sum(bool(unmentioned(r["question"], [_hit(s)], [])) for s in r["sentences"])
        owner = _role(r["question"])[0]  # type: ignore[index]
        other = next(o for o in roles[i + 1 :] + roles[:i] if _role(o["question"])[0] != owner)  # type: ignore[index]
        role_distractor_fired += bool(unmentioned(r["question"], [_hit(s) for s in other["sentences"]], []))
    total = sum(len(r["sentences"]) for r in roles)
    print(
        f"role: {len(roles)} questions: fired on {role_fired} (their gold sentences together), on {sentences_fired} "
        f"of {total} gold sentences alone; on another owner's sentences: {role_distractor_fired} of {len(roles)}"
    )
    right = distractor_fired + role_distractor_fired
    print(f"precision (questions): {right} / {right + questions_fired + role_fired}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("datasets", type=Path, help="the folder holding the RealTimeQA pools")
    parser.add_argument("--embed", action="store_true", help="also judge follow-ups with the MiniLM embedder")
    parser.add_argument("--runs", type=Path, nargs="*", default=[], help="eval run folders with stored replies")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every misfire")
    args = parser.parse_args()
    follow_ups(args.datasets, False, args.verbose)
    if args.embed:
        follow_ups(args.datasets, True, args.verbose)
    refusals(args.datasets, args.runs, args.verbose)
    asked(args.datasets, args.verbose)


if __name__ == "__main__":
    main()
