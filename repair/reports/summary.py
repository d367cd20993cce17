"""The batch summary: `summary.md` and `summary.html` from a batch directory's `results.jsonl`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from repair.overfitting import NO_HELD_OUT_TESTS
from repair.reports.html_page import badge, page, status_kind, table
from repair.reports.patch_match import MATCHING, match_label
from repair.reports.svg import bar_chart
from repair.results_log import read_results


@dataclass
class Totals:
    """Counts over a batch's plausible patches: compared with the ground truth (`correct` = matches it,
    exactly or after AST normalisation) and checked against held-out tests (`overfitting` = fails them)."""

    bugs: int
    plausible: int
    correct: int
    differs: int
    no_ground_truth: int
    overfitting: int
    cost_usd: float
    seconds: float
    statuses: dict[str, int]

    def line(self) -> str:
        """One line for the terminal: what each count was checked against."""
        held_out = f"; {self.overfitting} fail the held-out tests of the real fix" if self.overfitting else ""
        return (f"{self.bugs} bugs: {self.plausible} plausible ({self.correct} match the ground truth, "
                f"{self.differs} differ from it, {self.no_ground_truth} have no ground truth){held_out}")


def totals(records: list[dict[str, Any]]) -> Totals:
    plausible = [r for r in records if r["status"] == "plausible"]
    return Totals(
        bugs=len(records), plausible=len(plausible),
        correct=sum(1 for r in plausible if r.get("ground_truth") in MATCHING),
        differs=sum(1 for r in plausible if r.get("ground_truth") == "differs"),
        no_ground_truth=sum(1 for r in plausible if r.get("ground_truth") not in (*MATCHING, "differs")),
        overfitting=sum(1 for r in plausible if (r.get("overfitting") or {}).get("overfitting") is True),
        cost_usd=sum(float(r.get("cost_usd") or 0.0) for r in records),
        seconds=sum(float(r.get("wall_seconds") or r.get("seconds") or 0.0) for r in records),
        statuses=dict(Counter(r["status"] for r in records)))


def write_summary(out: Path) -> None:
    """(Re)write summary.md and summary.html of a batch directory."""
    records = sorted(read_results(out), key=lambda r: r["bug"])
    (out / "summary.md").write_text(render_markdown(records), encoding="utf-8")
    (out / "summary.html").write_text(render_html(records), encoding="utf-8")


def ground_truth_text(record: dict[str, Any]) -> str:
    """The ground-truth label of a record's patch; "-" when there is no patch to compare."""
    return match_label(record.get("ground_truth")) if record.get("patch") else "-"


def held_out_text(record: dict[str, Any]) -> str:
    """What the overfitting check found: it runs only the tests the real fix held out."""
    check = record.get("overfitting")
    if not check:
        return "not run"
    verdict = check.get("overfitting")
    if verdict is None:
        return "none held out" if check.get("note") == NO_HELD_OUT_TESTS else "not checked"
    failing = len(check.get("failing") or [])
    return f"fails {failing}" if verdict else "pass"


def render_markdown(records: list[dict[str, Any]]) -> str:
    t = totals(records)
    out = ["# Batch summary", "",
           f"- bugs: {t.bugs}; plausible: {t.plausible}; of these: {t.correct} match the ground truth (exactly or "
           f"after AST normalisation), {t.differs} differ from it, {t.no_ground_truth} have no ground truth; "
           f"{t.overfitting} fail the held-out tests of the real fix",
           f"- statuses: {', '.join(f'{k} {v}' for k, v in sorted(t.statuses.items()))}",
           f"- cost: ${t.cost_usd:.4f}; worker time: {t.seconds:.1f}s", "",
           "| bug | status | ground truth | held-out tests | cycles | cost | time | report |",
           "|---|---|---|---|---|---|---|---|"]
    for r in records:
        out.append(f"| {r['bug']} | {r['status']} | {ground_truth_text(r)} | {held_out_text(r)} | "
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
            f'{badge(f"{t.correct} match the ground truth", "good")} · '
            f'{badge(f"{t.differs} differ from it", "warn")} · {t.no_ground_truth} without ground truth · '
            f'{badge(f"{t.overfitting} fail held-out tests", "warn")} · '
            f"cost ${t.cost_usd:.4f} · worker time {t.seconds:.1f}s</p>",
            f'<p class="muted">{escape(", ".join(f"{k} {v}" for k, v in sorted(t.statuses.items())))}</p>']
    rows = []
    for r in records:
        link = f'<a href="{escape(r["run_dir"])}/report.html">report</a>'
        rows.append([escape(r["bug"]), badge(r["status"], status_kind(r["status"])),
                     escape(ground_truth_text(r)), escape(held_out_text(r)), str(r.get("cycles", 0)),
                     f"${float(r.get('cost_usd') or 0):.4f}", f"{float(r.get('wall_seconds') or 0):.1f}s", link])
    body.append(table(["bug", "status", "ground truth", "held-out tests", "cycles", "cost", "time", ""], rows,
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
