"""Run the answer path's hand-written question and sentence rules over inputs no rule was written from.

Each ``Rule`` names the product function(s) it calls by dotted path and says when it *fires*
on one input (issue #32):

- questions: a timeline is recognised (``rag.timeline.timeline_query``), a question is split
  into parts (``rag.decompose.parts``), the asked check finds a count or a role to check
  (``rag.verify.asked``), the gold choice is cut by short-answer trimming
  (``rag.verify.short.trim``) or read as restating the question (``rag.verify.grounding.restates``);
- article sentences, read as a question's words: ``rag.timeline``'s date bounds find a span;
- question pairs: a question asked after the one before it is rewritten as a follow-up
  (``rag.retrieve.condense.standalone_question``, without an embedder, as the engine calls it);
- gold passages (article sentences holding the gold choice): ``unmentioned`` refuses the gold
  answer over them, ``unread_numbers`` finds a number of the gold choice in none of them;
- article sentences: a refusal (``rag.generate.prompt.is_refusal``) or an injection
  (``rag.generate.injection.matched_rule``) is seen;
- date phrases with no year, or no day: ``index.clean.parse_date`` returns a date anyway;
- articles: ``index.clean.clean_article`` removes a line or cuts it short.

The product is imported by name when a rule runs (``importlib``), never at import time, so the
same harness runs against another checkout put first on ``PYTHONPATH`` and survives a rule
whose signature changed: optional keywords are passed only when the function takes them, and a
function that is missing or cannot be called with what the rule has is reported as unavailable
rather than raised. It neither loads datasets (``evals.misfire_pool``) nor judges whether a
firing is right: that is a person's label (``precision``).
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

Item = dict[str, Any]
# (the rule's resolved functions, one input) -> what each firing produced ([] when it did not fire)
Decide = Callable[[Sequence[Callable[..., Any]], Item], list[str]]


class Unavailable(Exception):
    """A rule's function is missing or cannot be called with what the rule passes."""


def resolve(path: str) -> Callable[..., Any]:
    """The callable at dotted ``path`` ("rag.timeline.timeline_query"), or ``Unavailable``."""
    module_name, _, name = path.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except Exception as err:  # any import failure makes the rule unavailable
        raise Unavailable(f"cannot import {module_name}: {type(err).__name__}: {err}") from None
    found = getattr(module, name, None)
    if not callable(found):
        raise Unavailable(f"{path} does not exist")
    return found


def call(fn: Callable[..., Any], *args: Any, **optional: Any) -> Any:
    """``fn(*args, **optional)``, passing each keyword of ``optional`` only when ``fn`` takes it."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return fn(*args, **optional)
    params = sig.parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    kwargs = {k: v for k, v in optional.items() if takes_any or k in params}
    try:
        sig.bind(*args, **kwargs)
    except TypeError as err:
        raise Unavailable(f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', fn)}{sig}: {err}") from None
    return fn(*args, **kwargs)


def _hit(text: str, n: int) -> Any:
    """A passage as the checks read it (``rag.types.Hit``)."""
    return call(resolve("rag.types.Hit"), chunk_id=f"gold-{n}", text=text, title="", source="gold", url="")


def _timeline(fns: Sequence[Callable[..., Any]], item: Item) -> list[str]:
    found = call(fns[0], item["question"])
    return [] if found is None else [str(found)[:300]]


def _bounds(fns: Sequence[Callable[..., Any]], item: Item) -> list[str]:
    found = call(fns[0], " ".join(item["text"].split()))
    bounds = found[0] if isinstance(found, tuple) else found
    return [] if bounds == type(bounds)() else [str(bounds)[:300]]


def _follow_up(fns: Sequence[Callable[..., Any]], item: Item) -> list[str]:
    previous = item.get("previous") or ""
    history = [(previous, "")] if previous else []
    out = call(fns[0], item["question"], history)
    return [out] if out != item["question"] else []


def _decompose(fns: Sequence[Callable[..., Any]], item: Item) -> list[str]:
    found = list(call(fns[0], item["question"]))
    return [" | ".join(found)] if len(found) > 1 else []


def _asked_parse(fns: Sequence[Callable[..., Any]], item: Item) -> list[str]:
    counted, role = call(fns[0], item["question"]), call(fns[1], item["question"])
    out = []
    if counted:
        out.append(f"count: {' '.join(counted)}")
    if role:
        owner, words = role
        out.append(f"role: {owner} / {' '.join(words)}")
    return ["; ".join(out)] if out else []


def _asked_gold(fns: Sequence[Callable[..., Any]], item: Item) -> list[str]:
    hits = [_hit(text, n) for n, text in enumerate(item["gold_windows"])]
    reason = call(fns[0], item["question"], hits, hits)
    return [str(reason)] if reason else []


def _unread(fns: Sequence[Callable[..., Any]], item: Item) -> list[str]:
    hits = [_hit(text, n) for n, text in enumerate(item["gold_sentences"])]
    missing = list(call(fns[0], item["gold"], hits))
    return [f"unread: {', '.join(missing)}"] if missing else []


def _restates(fns: Sequence[Callable[..., Any]], item: Item) -> list[str]:
    return ["restates the question"] if call(fns[0], item["question"], item["gold"]) else []


def _trim(fns: Sequence[Callable[..., Any]], item: Item) -> list[str]:
    out = call(fns[0], item["gold"], item["question"])
    return [out] if out != item["gold"] else []


def _refusal(fns: Sequence[Callable[..., Any]], item: Item) -> list[str]:
    return ["refusal"] if call(fns[0], item["text"]) else []


def _injection(fns: Sequence[Callable[..., Any]], item: Item) -> list[str]:
    rule = call(fns[0], item["text"])
    return [str(rule)] if rule else []


def _date(fns: Sequence[Callable[..., Any]], item: Item) -> list[str]:
    found = call(fns[0], item["text"])
    return [] if found is None else [found.isoformat() if hasattr(found, "isoformat") else str(found)]


def _line(text: str) -> str:
    return " ".join(text.split()).lstrip("#").strip()


def _key(line: str) -> str:
    return re.sub(r"\W+", " ", line).strip().lower()


def _clean(fns: Sequence[Callable[..., Any]], item: Item) -> list[str]:
    """The lines ``clean_article`` removed or cut short, each with a guess at why (for the labeller only)."""
    out = call(fns[0], item.get("title") or "", item["text"])
    cleaned = out[0] if isinstance(out, tuple) else out
    kept = Counter(_line(line) for line in str(cleaned).split("\n") if _line(line))
    missing: list[tuple[str, str]] = []  # (line, why) of the lines not kept whole
    seen = {_key(item.get("title") or "")}
    for line in (_line(raw) for raw in item["text"].split("\n")):
        if not line:
            continue
        key = _key(line)
        why = "repeat" if key in seen else "short" if len(line) <= 3 else "pattern/caption/date"
        seen.add(key)
        if kept[line] > 0:
            kept[line] -= 1
        else:
            missing.append((line, why))
    removed: list[str] = []
    for line, why in missing:  # a kept line that starts one not kept whole is what was left of it
        head = next((k for k, n in kept.items() if n > 0 and len(k) < len(line) and line.startswith(k)), "")
        if head:
            kept[head] -= 1
            removed.append(f"[cut] {line[len(head) :].strip()}")
        else:
            removed.append(f"[{why}] {line}")
    return removed


@dataclass(frozen=True)
class Rule:
    """One hand-written rule: the functions it calls, the pool it reads and when it fires."""

    name: str
    functions: tuple[str, ...]
    pool: str  # questions | pairs | gold | sentences | dates_no_year | dates_no_day | articles
    decide: Decide
    fires_when: str


RULES = (
    Rule("timeline", ("rag.timeline.timeline_query",), "questions", _timeline, "a timeline question is recognised"),
    Rule(
        "timeline_bounds",
        ("rag.timeline._bounds",),
        "sentences",
        _bounds,
        "an article sentence is read as giving date bounds (a span a question could give)",
    ),
    Rule(
        "follow_up",
        ("rag.retrieve.condense.standalone_question",),
        "pairs",
        _follow_up,
        "the question, asked after the previous one of the set, is rewritten as its follow-up",
    ),
    Rule("decompose", ("rag.decompose.parts",), "questions", _decompose, "the question splits into 2+ parts"),
    Rule(
        "asked_parse",
        ("rag.verify.asked._counted", "rag.verify.asked._role"),
        "questions",
        _asked_parse,
        "the asked check reads a count or a role to look for",
    ),
    Rule(
        "asked_gold",
        ("rag.verify.asked.unmentioned",),
        "gold",
        _asked_gold,
        "unmentioned() refuses the gold answer over passages holding it",
    ),
    Rule(
        "grounding_numbers",
        ("rag.verify.grounding.unread_numbers",),
        "gold",
        _unread,
        "a number of the gold choice is read in none of the sentences holding it",
    ),
    Rule(
        "grounding_restates",
        ("rag.verify.grounding.restates",),
        "questions",
        _restates,
        "the gold choice is read as restating the question",
    ),
    Rule("short_trim", ("rag.verify.short.trim",), "questions", _trim, "trimming changes the gold choice"),
    Rule(
        "refusal",
        ("rag.generate.prompt.is_refusal",),
        "sentences",
        _refusal,
        "an article sentence is read as a refusal",
    ),
    Rule("injection", ("rag.generate.injection.matched_rule",), "sentences", _injection, "an injection rule matches"),
    Rule(
        "date_no_year",
        ("index.clean.parse_date",),
        "dates_no_year",
        _date,
        "a month and day with no year parse to a date (an invented year)",
    ),
    Rule(
        "date_no_day",
        ("index.clean.parse_date",),
        "dates_no_day",
        _date,
        "a month and year with no day parse to a date (a day the text does not give)",
    ),
    Rule("clean", ("index.clean.clean_article",), "articles", _clean, "a line of the article is removed"),
)
BY_NAME = {rule.name: rule for rule in RULES}


@dataclass
class Result:
    """What one rule did over its pool."""

    rule: str
    functions: str
    pool: str
    inputs: int = 0
    units: int = 0  # lines, for the cleaning rule (every input a unit elsewhere)
    firing_inputs: int = 0
    firings: list[Item] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""
    unavailable: str = ""

    def summary(self) -> Item:
        """The counts, without the firings."""
        rate = len(self.firings) / self.units if self.units else 0.0
        return {
            "rule": self.rule,
            "functions": self.functions,
            "pool": self.pool,
            "inputs": self.inputs,
            "units": self.units,
            "firing_inputs": self.firing_inputs,
            "firings": len(self.firings),
            "rate": round(rate, 5),
            "errors": self.errors,
            "first_error": self.first_error,
            "unavailable": self.unavailable,
        }


def run_rule(rule: Rule, items: Iterable[Item]) -> Result:
    """``rule`` over ``items``: every firing, with the input and what the rule produced."""
    result = Result(rule.name, ", ".join(rule.functions), rule.pool)
    try:
        fns = [resolve(path) for path in rule.functions]
    except Unavailable as err:
        result.unavailable = str(err)
        return result
    for item in items:
        try:
            fired = rule.decide(fns, item)
        except Unavailable as err:  # the same for every input: stop here
            result.unavailable = str(err)
            return result
        except Exception as err:  # one input's failure is counted, not raised
            result.errors += 1
            result.first_error = result.first_error or f"{item.get('key')}: {type(err).__name__}: {err}"
            continue
        result.inputs += 1
        result.units += len(_units(rule, item))
        result.firing_inputs += bool(fired)
        for output in fired:
            result.firings.append(
                {"rule": rule.name, "key": item["key"], "input": _shown(rule, item), "output": output}
            )
    return result


def _units(rule: Rule, item: Item) -> list[str]:
    if rule.pool == "articles":
        return [line for line in (_line(raw) for raw in item["text"].split("\n")) if line]
    return [item["key"]]


def _shown(rule: Rule, item: Item) -> str:
    """The input as a labeller needs to read it."""
    if rule.pool == "pairs":
        return f"previous: {item.get('previous')!r} | question: {item['question']!r}"
    if rule.pool == "gold":
        passages = item["gold_windows"] if rule.name == "asked_gold" else item["gold_sentences"]
        return f"question: {item['question']!r} | gold: {item['gold']!r} | passages: {passages!r}"
    if rule.pool == "questions":
        gold = f" | gold: {item['gold']!r}" if rule.name in ("short_trim", "grounding_restates") else ""
        return f"question: {item['question']!r}{gold}"
    if rule.pool == "articles":
        return f"{item['key']} | {item.get('title', '')!r}"
    if rule.pool.startswith("dates"):
        return f"{item['text']!r} in {item.get('sentence', '')!r}"
    return str(item["text"])


def sample(result: Result, size: int, seed: int) -> list[Item]:
    """Up to ``size`` distinct firings, in the order they were found: those whose input and output
    hash lowest under ``seed``, so a firing that two runs share is in both samples or in neither."""
    distinct = list({label_key(f): f for f in reversed(result.firings)}.values())[::-1]

    def rank(firing: Item) -> str:
        return hashlib.sha1(f"{seed}:{firing['rule']}:{firing['input']}:{firing['output']}".encode()).hexdigest()

    picked = {id(f) for f in sorted(distinct, key=rank)[:size]}
    return [f for f in distinct if id(f) in picked]


def label_key(firing: Item) -> tuple[str, str, str, str]:
    """What a label is about: the same rule, input and output keep their label across runs."""
    return (firing["rule"], str(firing["key"]), firing["input"], firing["output"])


def precision(firings: Sequence[Item], labels: dict[tuple[str, str, str, str], bool]) -> tuple[int, int]:
    """(right, labelled) among ``firings``: a firing is right when its label says the rule should fire."""
    known = [labels[label_key(f)] for f in firings if label_key(f) in labels]
    return sum(known), len(known)


def question_decisions(question: str, previous: str = "") -> dict[str, bool]:
    """Whether each question rule fires on ``question`` (asked after ``previous``): the test's view."""
    item = {"key": "q", "question": question, "previous": previous}
    names = {"timeline": "timeline", "follow_up": "follow_up", "splits": "decompose", "asked": "asked_parse"}
    return {label: bool(_fired(BY_NAME[name], item)) for label, name in names.items()}


def sentence_decisions(sentence: str) -> dict[str, bool]:
    """Whether the refusal and injection rules fire on an article sentence, and whether cleaning
    removes it as a line of an article body: the test's view."""
    item = {"key": "s", "title": "", "text": sentence}
    out = {name: bool(_fired(BY_NAME[name], item)) for name in ("refusal", "injection")}
    return out | {"clean_removes": bool(_fired(BY_NAME["clean"], item))}


def _fired(rule: Rule, item: Item) -> list[str]:
    return rule.decide([resolve(path) for path in rule.functions], item)
