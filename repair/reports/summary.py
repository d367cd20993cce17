"""The batch summary: `summary.md` and `summary.html` from a batch directory's `results.jsonl`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from repair.reports.html_page import badge, page, status_kind, table
from repair.reports.svg import bar_chart
from repair.results_log import read_results

CORRECT_MATCHES = ("exact", "ast")


@dataclass
class Totals:
    """Counts over a batch. `correct` = plausible and equal to the ground truth (exactly or after AST)."""

    bugs: int
    plausible: int
    correct: int
    overfitting: int
    cost_usd: float
    seconds: float
    statuses: dict[str, int]


def totals(records: list[dict[str, Any]]) -> Totals:
    plausible = [r for r in records if r["status"] == "plausible"]
    return Totals(
        bugs=len(records), plausible=len(plausible),
        correct=sum(1 for r in plausible if r.get("ground_truth") in CORRECT_MATCHES),
        overfitting=sum(1 for r in plausible if (r.get("overfitting") or {}).get("overfitting") is True),
        cost_usd=sum(float(r.get("cost_usd") or 0.0) for r in records),
        seconds=sum(float(r.get("wall_seconds") or r.get("seconds") or 0.0) for r in records),
        statuses=dict(Counter(r["status"] for r in records)))


def write_summary(out: Path) -> None:
    """(Re)write summary.md and summary.html of a batch directory."""
    records = sorted(read_results(out), key=lambda r: r["bug"])
    (out / "summary.md").write_text(render_markdown(records), encoding="utf-8")
    (out / "summary.html").write_text(render_html(records), encoding="utf-8")


def _overfit_text(record: dict[str, Any]) -> str:
    verdict = (record.get("overfitting") or {}).get("overfitting")
    return {True: "overfitting", False: "ok", None: "-"}[verdict]


def render_markdown(records: list[dict[str, Any]]) -> str:
    t = totals(records)
    out = ["# Batch summary", "",
           f"- bugs: {t.bugs}; plausible: {t.plausible}; correct (ground truth, exact or AST): {t.correct}; "
           f"plausible but overfitting: {t.overfitting}",
           f"- statuses: {', '.join(f'{k} {v}' for k, v in sorted(t.statuses.items()))}",
           f"- cost: ${t.cost_usd:.4f}; worker time: {t.seconds:.1f}s", "",
           "| bug | status | ground truth | overfitting | cycles | cost | time | report |",
           "|---|---|---|---|---|---|---|---|"]
    for r in records:
        out.append(f"| {r['bug']} | {r['status']} | {r.get('ground_truth') or '-'} | {_overfit_text(r)} | "
                   f"{r.get('cycles', 0)} | ${float(r.get('cost_usd') or 0):.4f} | "
                   f"{float(r.get('wall_seconds') or 0):.1f}s | [report]({r['run_dir']}/report.md) |")
    tools = _tool_counts(records)
    if tools:
        out += ["", "## Tools used", ""] + [f"- {name}: {count}" for name, count in tools.most_common()]
    return "\n".join(out) + "\n"


def render_html(records: list[dict[str, Any]]) -> str:
    t = totals(records)
    body = ["<h1>Batch summary</h1>",
            f'<p id="totals">{t.bugs} bugs · {badge(f"{t.plausible} plausible", "good")} · '
            f'{badge(f"{t.correct} correct", "good")} · {badge(f"{t.overfitting} overfitting", "warn")} · '
            f"cost ${t.cost_usd:.4f} · worker time {t.seconds:.1f}s</p>",
            f'<p class="muted">{escape(", ".join(f"{k} {v}" for k, v in sorted(t.statuses.items())))}</p>']
    rows = []
    for r in records:
        link = f'<a href="{escape(r["run_dir"])}/report.html">report</a>'
        rows.append([escape(r["bug"]), badge(r["status"], status_kind(r["status"])),
                     escape(r.get("ground_truth") or "-"), escape(_overfit_text(r)), str(r.get("cycles", 0)),
                     f"${float(r.get('cost_usd') or 0):.4f}", f"{float(r.get('wall_seconds') or 0):.1f}s", link])
    body.append(table(["bug", "status", "ground truth", "overfitting", "cycles", "cost", "time", ""], rows,
                      numeric=(4, 5, 6), element_id="bugs"))
    names = [r["bug"] for r in records]
    plausible = [r["status"] == "plausible" for r in records]
    body.append("<h2>Time per bug</h2>" + bar_chart(
        "Wall time (s); orange = plausible", names, [float(r.get("wall_seconds") or 0) for r in records],
        "time-chart", lambda v: f"{v:.1f}s", plausible))
    body.append("<h2>Cost per bug</h2>" + bar_chart(
        "Model cost (USD)", names, [float(r.get("cost_usd") or 0) for r in records], "cost-chart",
        lambda v: f"${v:.4f}", plausible))
    tools = _tool_counts(records).most_common()
    body.append("<h2>Tools used</h2>" + bar_chart(
        "Calls over all bugs", [n for n, _ in tools], [float(c) for _, c in tools], "tools-chart",
        lambda v: f"{v:.0f}"))
    return page("Batch summary", "\n".join(body))


def _tool_counts(records: list[dict[str, Any]]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for r in records:
        counts.update(r.get("tools") or {})
    return counts
