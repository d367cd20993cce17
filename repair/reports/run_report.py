"""The patch review report of one run: `report.md` and a self-contained `report.html`."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from repair.errors import RepairError
from repair.offline.stats import fate_counts
from repair.reports.html_page import badge, diff_html, page, status_kind, table
from repair.reports.patch_match import MATCHING, match_label
from repair.reports.run_review import RunReview, review_run
from repair.reports.svg import bar_chart
from repair.verdict_scope import describe_test_set

# How the label was reached, after the label itself.
MATCH_DETAIL = {
    "exact": " (the same program text)",
    "ast": " (the same code once layout, comments and docstrings are set aside)",
    "differs": "",
    None: " is known for this bug",
}


def match_text(review: RunReview) -> str:
    """The ground-truth label of the run's patch, with how it was reached."""
    return match_label(review.ground_truth) + MATCH_DETAIL.get(review.ground_truth, "")


def write_run_reports(run_dir: Path) -> None:
    """(Re)write `report.md` and `report.html` for a run directory (and its `review.json`)."""
    review = review_run(Path(run_dir))
    try:
        markdown, html = render_markdown(review), render_html(review)
    except (TypeError, ValueError, AttributeError, KeyError) as exc:  # a damaged entry of result.json
        raise RepairError(f"{run_dir} holds a damaged run: {type(exc).__name__}: {exc}") from None
    Path(run_dir, "report.md").write_text(markdown, encoding="utf-8")
    Path(run_dir, "report.html").write_text(html, encoding="utf-8")


def verdict_text(review: RunReview) -> str:
    """One line: plausible or not, and how the patch relates to the ground truth and the held-out tests."""
    parts = [f"**{review.status}**" + (f" ({review.reason})" if review.reason else "")]
    if review.patch:
        parts.append(match_text(review))
    suspect = likely_overfitting(review)
    if suspect:
        parts.append(f"⚠ likely overfitting: {suspect}")
    over = review.overfitting
    if over and over.get("overfitting") is True:
        parts.append("⚠ plausible but OVERFITTING: " + str(over.get("note", "")))
    elif over:
        parts.append("held-out tests: " + str(over.get("note", "")))
    return "; ".join(parts)


def likely_overfitting(review: RunReview) -> str:
    """Why the offline search thinks the run's plausible patch is suspect ('' when it does not)."""
    chosen = (review.search or {}).get("chosen") or {}
    if review.status == "plausible" and review.patch and chosen.get("likely_overfitting"):
        return str(chosen.get("why") or "it deletes behaviour")
    return ""


def location_rows(review: RunReview) -> list[list[str]]:
    """[rank, location, candidates kept, families (made/kept), why none] per line the search read."""
    rows = []
    for loc in (review.search or {}).get("locations") or []:
        families = ", ".join(f"{name} {c.get('kept', 0)}/{c.get('made', 0)}"
                             for name, c in sorted(loc.get("families", {}).items(), key=lambda kv: -kv[1]["kept"]))
        rows.append([str(loc.get("rank", "")), f"{loc.get('file')}:{loc.get('line')}", str(loc.get("kept", 0)),
                     families or "-", str(loc.get("note", ""))])
    return rows


def _tests_after_lines(review: RunReview) -> list[str]:
    after = review.tests_after
    if not after:
        return ["no patch was validated as plausible"]
    lines = [f"fixed: {', '.join(after.get('fixed', [])) or '-'}",
             f"still failing: {', '.join(after.get('still_failing', [])) or '-'}",
             f"newly failing: {', '.join(after.get('regressions', [])) or '-'}"]
    return lines + [f"verdict covers {describe_test_set(s)}" for s in after.get("scope") or []]


def fix_tried_text(fix: dict[str, Any]) -> str:
    """A fix tried, with the test sets its verdict covered."""
    covered = "; ".join(fix.get("scope") or [])
    return f"{fix.get('status')}: {fix.get('summary', '')}" + (f" (covers {covered})" if covered else "")


CANDIDATES_SHOWN = 60
_FATE_ORDER = {"plausible": 0, "not-plausible": 1, "build-failed": 2, "duplicate": 3, "dropped": 4}


def candidate_counts(review: RunReview) -> str:
    """Where the candidates went, in one line ('' when the run has no search)."""
    return fate_counts(review.search) if review.search else ""


def candidate_rows(review: RunReview) -> list[list[str]]:
    """[fate, location, template: description, reason] of the candidates, those that reached a compiler first."""
    ordered = sorted(review.candidates, key=lambda c: _FATE_ORDER.get(str(c.get("fate")), 5))
    return [[str(c.get("fate", "")), f"{c.get('file')}:{c.get('line')}",
             f"{c.get('template')}: {c.get('description')}", str(c.get("reason", ""))]
            for c in ordered[:CANDIDATES_SHOWN]]


def render_markdown(review: RunReview) -> str:
    """The report as Markdown, readable in a terminal or on GitHub."""
    out = [f"# Patch review: {review.bug}", ""]
    if review.description:
        out += [review.description, ""]
    out += [f"- verdict: {verdict_text(review)}", f"- model: `{review.model}`",
            f"- cycles: {review.cycles}; tokens: {review.prompt_tokens} prompt + {review.completion_tokens} "
            f"completion; cost: ${review.cost_usd:.4f}; time: {review.seconds:.1f}s", ""]
    out += ["## Failing tests (before)", ""] + [f"- `{t}`" for t in review.failing_tests or ["(none known)"]] + [""]
    out += ["## Final patch", "", "```diff", review.patch.rstrip("\n") or "(no patch)", "```", ""]
    if review.ground_truth_patch and review.ground_truth != "exact":
        out += ["## Ground-truth fix", "", "```diff", review.ground_truth_patch.rstrip("\n"), "```", ""]
    out += ["## Tests after", ""] + [f"- {line}" for line in _tests_after_lines(review)] + [""]
    out += ["## Fault localization", ""]
    if review.fault_localization:
        out += ["| # | location | method | score |", "|---|---|---|---|"]
        out += [f"| {i} | `{s['file']}:{s['line']}` | {s['method']} | {s['score']:.3f} |"
                for i, s in enumerate(review.fault_localization, start=1)]
        out += ["", "Methods, by their best line:", "", "| # | method | best line |", "|---|---|---|"]
        out += [f"| {i} | `{m['file']}`: {m['method'] or '(outside any method)'} | {m['line']} (#{m['line_rank']}) |"
                for i, m in enumerate(review.fault_localization_methods, start=1)]
    else:
        out.append("(no ranking)")
    out += ["", "## Timeline", "", "| cycle | state | tool | ok | detail |", "|---|---|---|---|---|"]
    for t in review.timeline:
        move = t.state_before if t.state_before == t.state_after else f"{t.state_before} → {t.state_after}"
        level = f" [{t.level}]" if t.level else ""
        detail = t.detail.replace("|", "\\|").replace("\n", " ")
        out.append(f"| {t.cycle} | {move}{level} | {t.tool} | {'✓' if t.ok else '✗'} | {detail} |")
    if review.hypotheses:
        out += ["", "## Hypotheses", ""] + [f"{i}. {h}" for i, h in enumerate(review.hypotheses, start=1)]
    if review.fixes_tried:
        out += ["", "## Fixes tried", ""] + [f"{i}. {fix_tried_text(f)}"
                                             for i, f in enumerate(review.fixes_tried, start=1)]
    if review.search or review.candidates:
        out += ["", "## Candidates", "", candidate_counts(review) or f"{len(review.candidates)} candidates", ""]
        if review.candidates:
            out += ["| fate | location | candidate | why |", "|---|---|---|---|"]
            out += ["| " + " | ".join(cell.replace("|", "\\|").replace("\n", " ") for cell in row) + " |"
                    for row in candidate_rows(review)]
            if len(review.candidates) > CANDIDATES_SHOWN:
                out.append(f"\n({len(review.candidates) - CANDIDATES_SHOWN} more in result.json)")
    ranked = (review.search or {}).get("ranked_plausible") or []
    if len(ranked) > 1:
        out += ["", "## Plausible patches, best first", ""]
        for i, patch in enumerate(ranked, start=1):
            suspect = " — ⚠ likely overfitting: " + str(patch.get("why")) if patch.get("likely_overfitting") else ""
            out += [f"{i}. `{patch['file']}:{patch['line']}` {patch['template']}: {patch['description']}{suspect}",
                    "", "```diff", str(patch.get("diff", "")).rstrip("\n"), "```", ""]
    if location_rows(review):
        out += ["", "## Where the templates looked", "",
                "Per line read, best ranked first: the candidates kept for validation, and per template family "
                "kept/made (the rest were dropped before compiling); why a line got none.", "",
                "| rank | location | kept | families (kept/made) | why none |", "|---|---|---|---|---|"]
        out += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in location_rows(review)]
    if review.notes:
        out += ["", "## Notes", ""] + [f"- {n}" for n in review.notes]
    return "\n".join(out) + "\n"


def render_html(review: RunReview) -> str:
    """The report as one HTML file with inline CSS and SVG: it opens anywhere, offline."""
    kind = status_kind(review.status)
    over = review.overfitting or {}
    body = [f"<h1>Patch review: {escape(review.bug)}</h1>"]
    if review.description:
        body.append(f"<p>{escape(review.description)}</p>")
    verdict = [badge(review.status, kind)]
    if review.patch:
        match_kind = "good" if review.ground_truth in MATCHING else "info" if review.ground_truth is None \
            else "warn"
        verdict.append(badge(match_label(review.ground_truth), match_kind))
    if likely_overfitting(review):
        verdict.append(badge("likely overfitting: " + likely_overfitting(review), "warn"))
    if over.get("overfitting") is True:
        verdict.append(badge("overfitting", "bad"))
    elif over.get("overfitting") is False:
        verdict.append(badge("passes the held-out tests of the real fix", "good"))
    body.append(f'<p id="verdict">{" ".join(verdict)}</p>')
    facts = [("reason", review.reason), ("ground truth", match_text(review) if review.patch else "-"),
             ("held-out tests", str(over.get("note", "not run"))), ("model", review.model),
             ("cycles", str(review.cycles)),
             ("tokens", f"{review.prompt_tokens} prompt + {review.completion_tokens} completion"),
             ("cost", f"${review.cost_usd:.4f}"), ("time", f"{review.seconds:.1f}s")]
    body.append(table([], [[escape(k), escape(v)] for k, v in facts], element_id="facts"))
    body.append("<h2>Failing tests (before)</h2><ul>" + "".join(
        f"<li><code>{escape(t)}</code></li>" for t in review.failing_tests or ["(none known)"]) + "</ul>")
    body.append("<h2>Final patch</h2>" + diff_html(review.patch, "diff"))
    if review.ground_truth_patch and review.ground_truth != "exact":
        body.append("<h2>Ground-truth fix</h2>" + diff_html(review.ground_truth_patch, "ground-truth-diff"))
    body.append("<h2>Tests after</h2><ul>" + "".join(f"<li>{escape(x)}</li>" for x in _tests_after_lines(review))
                + "</ul>")
    body.append("<h2>Fault localization</h2>")
    fl = review.fault_localization
    touched = _patched_lines(review.ground_truth_patch or review.patch)
    body.append(bar_chart("Suspiciousness (top lines)", [f"{s['file']}:{s['line']}" for s in fl],
                          [s["score"] for s in fl], "fl-chart", lambda v: f"{v:.3f}",
                          [(s["file"], s["line"]) in touched for s in fl]))
    if touched and fl:
        body.append('<p class="muted">Orange bars: lines the fix changes.</p>')
    if review.fault_localization_methods:
        body.append("<h3>Methods, by their best line</h3>" + table(
            ["#", "method", "best line"],
            [[str(i), f"<code>{escape(m['file'])}</code>: {escape(m['method'] or '(outside any method)')}",
              f"{m['line']} (#{m['line_rank']})"] for i, m in enumerate(review.fault_localization_methods, start=1)],
            numeric=[0], element_id="fl-methods"))
    body.append("<h2>Agent timeline</h2>")
    rows = []
    for t in review.timeline:
        state = f'<span class="state-{escape(t.state_after)}">{escape(t.state_before)}'
        state += "" if t.state_before == t.state_after else f" → {escape(t.state_after)}"
        state += "</span>" + (f" <em>{escape(t.level)}</em>" if t.level else "")
        rows.append([str(t.cycle), state, f"<code>{escape(t.tool)}</code>", "✓" if t.ok else "✗", escape(t.detail),
                     f"{t.seconds:.1f}"])
    body.append(table(["cycle", "state", "tool", "ok", "detail", "s"], rows, numeric=(0, 5), element_id="timeline"))
    if review.hypotheses:
        body.append("<h2>Hypotheses</h2><ol>" + "".join(f"<li>{escape(h)}</li>" for h in review.hypotheses)
                    + "</ol>")
    if review.fixes_tried:
        body.append("<h2>Fixes tried</h2><ol>" + "".join(
            f"<li>{escape(fix_tried_text(f))}</li>" for f in review.fixes_tried) + "</ol>")
    if review.search or review.candidates:
        body.append("<h2>Candidates</h2><p>" + escape(candidate_counts(review) or f"{len(review.candidates)} "
                                                                                 "candidates") + "</p>")
        if review.candidates:
            body.append(table(["fate", "location", "candidate", "why"],
                              [[escape(cell) for cell in row] for row in candidate_rows(review)],
                              element_id="candidates"))
    ranked = (review.search or {}).get("ranked_plausible") or []
    if len(ranked) > 1:
        body.append("<h2>Plausible patches, best first</h2><ol>" + "".join(
            f"<li><code>{escape(str(p['file']))}:{p['line']}</code> {escape(str(p['template']))}: "
            f"{escape(str(p['description']))}"
            + (f" {badge('likely overfitting', 'warn')}" if p.get("likely_overfitting") else "")
            + diff_html(str(p.get("diff", "")), f"plausible-{i}") + "</li>" for i, p in enumerate(ranked, start=1))
            + "</ol>")
    if location_rows(review):
        body.append("<h2>Where the templates looked</h2>")
        body.append(table(["rank", "location", "kept", "families (kept/made)", "why none"],
                          [[escape(cell) for cell in row] for row in location_rows(review)], numeric=(0, 2),
                          element_id="locations"))
    if review.notes:
        body.append("<h2>Notes</h2><ul>" + "".join(f"<li>{escape(n)}</li>" for n in review.notes) + "</ul>")
    return page(f"Patch review: {review.bug}", "\n".join(body))


def _patched_lines(diff: str) -> set[tuple[str, int]]:
    """(file, old line) pairs a diff removes, to mark the truly buggy lines in the FL chart."""
    touched: set[tuple[str, int]] = set()
    path, line = "", 0
    for text in diff.splitlines():
        if text.startswith("--- "):
            continue
        if text.startswith("+++ "):
            path = text[4:].strip().removeprefix("b/")
        elif text.startswith("@@"):
            line = int(text.split()[1].lstrip("-").split(",")[0])
        elif text.startswith("-"):
            touched.add((path, line))
            line += 1
        elif not text.startswith("+"):
            line += 1
    return touched
