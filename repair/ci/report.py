"""The texts `repair ci` writes for people: the PR body (the run's review report), its title, the commit message."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from repair.datasets.bug import Bug

PR_BODY_LIMIT = 60_000  # GitHub refuses bodies over 65,536 characters


def build_report(run_dir: Path, summary: Mapping[str, Any], test_cmd: str, run_id: str) -> str:
    """The PR body: the patch review report (repair.reports when present), with the diff and a CI note."""
    report = review_report(run_dir)
    if report is None:
        report = fallback_report(summary, test_cmd)
    patch = str(summary.get("patch") or "")
    if patch.strip() and patch.strip() not in report:
        report = report.rstrip() + f"\n\n## Patch\n\n```diff\n{patch.rstrip()}\n```\n"
    return report.rstrip() + (
        f"\n\n---\n_Proposed by `repair ci` (run `{run_id}`) after `{test_cmd}` failed. The patch is plausible: "
        "the failing tests pass with it and the passing tests still pass. It does not change any test. "
        "Review it before merging: plausible is not proven correct._\n")


def review_report(run_dir: Path) -> str | None:
    """The run's review report, if it was written."""
    written = run_dir / "report.md"  # `run_fix` writes the review reports with the run
    return written.read_text(encoding="utf-8") if written.is_file() else None


def fallback_report(summary: Mapping[str, Any], test_cmd: str) -> str:
    """A short markdown review report from the run's result, used when repair.reports is not available."""
    failing = (summary.get("tests_before") or {}).get("failing") or []
    tokens = summary.get("tokens") or {}
    lines = [
        f"# Repair: a plausible patch for {len(failing)} failing test(s)",
        "",
        f"`{test_cmd}` failed. The agent ({summary.get('model', '?')}) found a patch that makes the failing tests "
        f"pass without breaking the others ({summary.get('cycles', '?')} cycles, "
        f"{int(tokens.get('prompt', 0)) + int(tokens.get('completion', 0))} tokens, "
        f"${float(summary.get('cost_usd') or 0):.4f}, {float(summary.get('seconds') or 0):.1f}s).",
        "",
        "## Failing tests before the patch",
        "",
        *[f"- `{t}`" for t in failing],
        "",
        "## Patch",
        "",
        "```diff",
        str(summary.get("patch", "")).rstrip(),
        "```",
    ]
    tried = summary.get("fixes_tried") or []
    if len(tried) > 1:
        lines += ["", f"The agent tried {len(tried)} fixes; this is the first one that passed the tests."]
    return "\n".join(lines) + "\n"


def pr_title(bug: Bug) -> str:
    first = bug.failing_tests[0] if bug.failing_tests else "the tests"
    more = f" (+{len(bug.failing_tests) - 1} more)" if len(bug.failing_tests) > 1 else ""
    return clip(f"repair: fix failing {first}{more}", 250)


def commit_message(bug: Bug, run_id: str) -> str:
    tests = "\n".join(f"- {t}" for t in bug.failing_tests[:20])
    return f"{pr_title(bug)}\n\nProposed by repair ci (run {run_id}); the failing tests were:\n{tests}\n"


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, with a note where it was cut."""
    return text if len(text) <= limit else text[: limit - 40].rstrip() + "\n\n…(truncated; see the artifact)\n"
