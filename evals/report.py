"""Render eval runs as one self-contained HTML report (no scripts, no external files).

Sections: a summary table of every configuration (and published baselines, when given),
bar charts of the metric groups drawn as inline SVG, latency percentiles, and per-question
tables — failures first — with each answer and its cited passages, the supporting quote
highlighted. All text from articles, questions and answers is HTML-escaped.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

GROUPS = [
    ("Answer quality (answerable questions)", ["exact_match", "f1", "contains", "contains_full"]),
    ("Refusals", ["refusal_accuracy", "false_refusal"]),
    ("Retrieval", ["hit@1", "hit@k", "mrr@10", "answer_in_context"]),
    ("Citations", ["citation_passage_precision", "citation_article_precision"]),
]
PALETTE = ["#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2", "#4b5563", "#db2777"]

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1200px;color:#111;padding:0 16px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:4px 8px;vertical-align:top}
th{background:#f5f5f5;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}
.fail{background:#fef2f2}.pass{background:#f0fdf4}.muted{color:#666}.chart{display:inline-block;margin:8px 24px 8px 0}
mark{background:#fde68a}details{margin:2px 0}.passage{font-size:12px;color:#333;max-width:700px}
.legend span{display:inline-block;margin-right:14px}.sw{display:inline-block;width:10px;height:10px;margin-right:4px}
"""


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.3f}"
    return html.escape(str(value))


def _metric(summary: dict[str, Any], name: str) -> float | None:
    values = summary.get("metrics", {})
    if name == "hit@k":
        keys = [k for k in values if k.startswith("hit@") and k != "hit@1"]
        return values[keys[0]] if keys else None
    return values.get(name)


def _bar_chart(title: str, names: list[str], summaries: Sequence[dict[str, Any]]) -> str:
    bar_w, gap, group_gap, height = 16, 3, 22, 150
    present = [n for n in names if any(_metric(s, n) is not None for s in summaries)]
    if not present:
        return ""
    n_cfg = len(summaries)
    # Each metric group is as wide as its bars or its label, whichever is wider.
    slots = [max(n_cfg * (bar_w + gap), 6.5 * len(name)) + group_gap for name in present]
    width = 40 + sum(slots)
    parts = [f'<svg width="{width}" height="{height + 66}" role="img" aria-label="{html.escape(title)}">']
    for tick in (0.0, 0.5, 1.0):
        y = 16 + height * (1 - tick)
        parts.append(f'<line x1="30" x2="{width}" y1="{y}" y2="{y}" stroke="#eee"/>')
        parts.append(f'<text x="0" y="{y + 4}" font-size="10" fill="#666">{tick:.1f}</text>')
    x = 40.0
    for name, slot in zip(present, slots, strict=True):
        start = x
        x += (slot - group_gap - n_cfg * (bar_w + gap)) / 2
        for i, s in enumerate(summaries):
            value = _metric(s, name)
            h = height * max(0.0, min(1.0, value or 0.0))
            color = PALETTE[i % len(PALETTE)]
            label = f"{s.get('config', '')}: {name} = {_fmt(value)}"
            parts.append(
                f'<rect x="{x}" y="{16 + height - h}" width="{bar_w}" height="{h}" fill="{color}">'
                f"<title>{html.escape(label)}</title></rect>"
            )
            if value is not None:
                parts.append(
                    f'<text x="{x + bar_w / 2}" y="{12 + height - h}" font-size="9" text-anchor="middle">'
                    f"{value:.2f}</text>"
                )
            x += bar_w + gap
        center = start + (slot - group_gap) / 2
        parts.append(
            f'<text x="{center}" y="{height + 34}" font-size="11" text-anchor="middle">{html.escape(name)}</text>'
        )
        x = start + slot
    parts.append("</svg>")
    return f'<div class="chart"><h3>{html.escape(title)}</h3>{"".join(parts)}</div>'


def _summary_table(summaries: Sequence[dict[str, Any]]) -> str:
    names = sorted({k for s in summaries for k in s.get("metrics", {})})
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    rows = []
    for s in summaries:
        cells = "".join(f'<td class="num">{_fmt(s.get("metrics", {}).get(n))}</td>' for n in names)
        label = html.escape(s.get("config", ""))
        detail = html.escape(f"{s.get('backend', '')} · {s.get('retrieval', '')}".strip(" ·"))
        rows.append(
            f"<tr><th>{label}<div class='muted'>{detail}</div></th>"
            f"<td class='num'>{s.get('questions', '')}</td>{cells}</tr>"
        )
    table = f"<table><tr><th>configuration</th><th>questions</th>{head}</tr>{''.join(rows)}</table>"
    return f"<div style='overflow-x:auto'>{table}</div>"


def _latency_table(summaries: Sequence[dict[str, Any]]) -> str:
    rows = []
    for s in summaries:
        lat = s.get("latency") or {}
        if not lat:
            continue
        cells = "".join(
            f'<td class="num">{_fmt(lat.get(p, {}).get(q))}</td>'
            for p in ("retrieval", "first_token", "total")
            for q in ("p50", "p95")
        )
        rows.append(f"<tr><th>{html.escape(s.get('config', ''))}</th>{cells}</tr>")
    if not rows:
        return ""
    return (
        "<h2>Latency (seconds)</h2><table><tr><th></th><th>retrieval p50</th><th>p95</th>"
        "<th>first token p50</th><th>p95</th><th>answer p50</th><th>p95</th></tr>" + "".join(rows) + "</table>"
    )


def _failed(row: dict[str, Any]) -> bool:
    m = row["metrics"]
    if row.get("error"):
        return True
    if row["gold"] is None:
        return m.get("refusal_accuracy", 0.0) < 1.0
    return m.get("contains", 0.0) < 1.0 and m.get("f1", 0.0) < 0.5


def _passage_html(c: dict[str, Any]) -> str:
    passage, start, end = c.get("passage") or c.get("quote", ""), c.get("quote_start", 0), c.get("quote_end", 0)
    if passage and 0 <= start < end <= len(passage):
        body = (
            html.escape(passage[:start])
            + "<mark>"
            + html.escape(passage[start:end])
            + "</mark>"
            + html.escape(passage[end:])
        )
    else:
        body = f"<mark>{html.escape(c.get('quote', ''))}</mark>"
    meta = " · ".join(html.escape(str(x)) for x in (c.get("source"), c.get("published_at")) if x)
    return (
        f"<details><summary>[{c.get('n')}] {html.escape(c.get('title', ''))}</summary>"
        f"<div class='muted'>{meta}</div><div class='passage'>{body}</div></details>"
    )


def _questions_table(config: str, rows: Sequence[dict[str, Any]]) -> str:
    ordered = sorted(rows, key=lambda r: (not _failed(r), r["id"]))
    out = []
    for r in ordered:
        gold = "<i>unanswerable</i>" if r["gold"] is None else html.escape(r["gold"])
        answer = html.escape(r["answer"]) + (f"<div class='fail'>{html.escape(r['error'])}</div>" if r["error"] else "")
        cites = "".join(_passage_html(c) for c in r.get("citations", []))
        m = r["metrics"]
        scores = " ".join(f"{k}={v:.2f}" for k, v in m.items() if v is not None)
        cls = "fail" if _failed(r) else "pass"
        out.append(
            f"<tr class='{cls}'><td>{html.escape(r['id'])}</td><td>{html.escape(r['question'])}</td>"
            f"<td>{gold}</td><td>{answer}{cites}</td><td class='muted'>{html.escape(scores)}</td>"
            f"<td class='num'>{_fmt(r['timings'].get('total'))}</td></tr>"
        )
    n_fail = sum(1 for r in rows if _failed(r))
    return (
        f"<h2>Questions — {html.escape(config)} ({n_fail} of {len(rows)} failed, shown first)</h2>"
        "<table><tr><th>id</th><th>question</th><th>gold</th><th>answer and cited passages</th>"
        "<th>metrics</th><th>s</th></tr>" + "".join(out) + "</table>"
    )


def render(
    title: str,
    summaries: Sequence[dict[str, Any]],
    rows_by_config: Mapping[str, Sequence[dict[str, Any]]],
    baselines: Sequence[dict[str, Any]] = (),
    notes: str = "",
) -> str:
    """The whole report as an HTML string."""
    everything = [*summaries, *baselines]
    legend = "".join(
        f"<span><i class='sw' style='background:{PALETTE[i % len(PALETTE)]}'></i>"
        f"{html.escape(s.get('config', ''))}</span>"
        for i, s in enumerate(everything)
    )
    charts = "".join(_bar_chart(t, names, everything) for t, names in GROUPS)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    questions = "".join(_questions_table(name, rows) for name, rows in rows_by_config.items())
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{CSS}</style></head><body><h1>{html.escape(title)}</h1>"
        f"<p class='muted'>{stamp}. {html.escape(notes)}</p>"
        f"<h2>Summary</h2>{_summary_table(everything)}<h2>Charts</h2><div class='legend'>{legend}</div>{charts}"
        f"{_latency_table(summaries)}{questions}</body></html>"
    )
