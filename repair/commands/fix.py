"""`repair fix` (run the agent on a bug) and `repair replay` (rerun a recorded run and compare)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.panel import Panel
from rich.syntax import Syntax
from rich.text import Text

from repair.cli_app import (
    BackendOption,
    BaseUrlOption,
    BudgetUsdOption,
    BugArgument,
    BugOption,
    FinalTestCmdOption,
    MaxCyclesOption,
    MaxTokensOption,
    ModelOption,
    QuixBugsRootOption,
    RepoOption,
    StrategyOption,
    TestCmdOption,
    WebOption,
    bug_id_from,
    command,
    console,
)
from repair.fix_run import FixOptions, FixOutcome, NothingToRepair, default_runs_dir, replay, run_fix
from repair.models.base import ToolCall
from repair.models.budget import usd
from repair.offline.stats import fate_counts
from repair.trajectory import Step
from repair.verdict_scope import describe_test_set

_COLORS = {"understand": "cyan", "collect": "blue", "try_fix": "magenta", "done": "green"}


class LiveProgress:
    """Prints one line per cycle (state, tool, outcome). On a terminal a spinner shows the running tool;
    without one (CI logs, pipes) each phase and each tool start is a plain line, so the log never stalls."""

    def __init__(self, out: Console) -> None:
        self.out = out
        self.status = out.status("starting", spinner="dots") if out.is_terminal else None

    def phase(self, text: str) -> None:
        """Checkout, baseline run and the like, before the agent's first cycle."""
        self._now(Text(text))

    def tool_started(self, cycle: int, state: str, call: ToolCall) -> None:
        self._now(Text.assemble(f"cycle {cycle} ", (state, _COLORS.get(state, "white")), f" running {call.name}"))

    def _now(self, line: Text) -> None:
        """What runs now: the spinner's text on a terminal, a line of its own in a log."""
        if self.status is not None:
            self.status.update(line)
            self.status.start()
        else:
            self.out.print(line, highlight=False, soft_wrap=True)

    def step_done(self, step: Step) -> None:
        if self.status is not None:
            self.status.stop()
        move = step.state_before if step.state_before == step.state_after else \
            f"{step.state_before} → {step.state_after}"
        first = step.result.strip().splitlines()[0][:110] if step.result.strip() else ""
        mark = ("✓", "green") if step.ok else ("✗", "red")
        # Tool results are code and test output: appended as text, never read as markup.
        line = Text.assemble(f"{step.cycle:>3} ", (f"{move:<22}", _COLORS.get(step.state_after, "white")),
                             f" {step.tool or '(malformed)':<24} ", mark, " ", first)
        self.out.print(line, highlight=False, no_wrap=True, overflow="ellipsis")

    def close(self) -> None:
        if self.status is not None:
            self.status.stop()


def print_outcome(outcome: FixOutcome) -> None:
    summary = outcome.summary
    if summary.get("patch"):
        console.print(Panel(Syntax(summary["patch"], "diff", theme="ansi_dark"), title="patch"))
    if summary.get("strategy") == "escalate":
        console.print(Text(f"escalation: {escalation_line(summary)}"), highlight=False, soft_wrap=True)
    if summary.get("search"):
        search = summary["search"]
        counts = fate_counts(search)
        times = ", ".join(f"{k.removesuffix('_seconds')} {search[k]:.1f}s"
                          for k in ("generation_seconds", "compilation_seconds", "test_seconds") if k in search)
        console.print(f"offline search: {counts}; {times}", highlight=False)
        ranked = search.get("ranked_plausible") or []
        if len(ranked) > 1:
            console.print(Text(f"plausible patches, best first ({len(ranked)}):"), highlight=False)
            for i, patch in enumerate(ranked, start=1):
                suspect = " [likely overfitting]" if patch.get("likely_overfitting") else ""
                console.print(Text(f"  {i}. {patch['file']}:{patch['line']} {patch['template']}: "
                                   f"{patch['description']}{suspect}"), highlight=False, soft_wrap=True)
        chosen = search.get("chosen") or {}
        if chosen.get("likely_overfitting") and summary["status"] == "plausible":
            console.print(Text(f"warning: the patch is likely overfitting: {chosen.get('why')}", style="yellow"),
                          highlight=False, soft_wrap=True)
    color = "green" if summary["status"] == "plausible" else "red"
    budget = summary.get("budget") or {}
    calls = f"{budget['model_calls']} model calls, " if "model_calls" in budget else ""
    console.print(Text.assemble((summary["status"], color), f" — {summary['reason']}; {summary['cycles']} cycles, "
                                f"{calls}{summary['tokens']['prompt'] + summary['tokens']['completion']} tokens, "
                                f"{usd(summary['cost_usd'])}, {summary['seconds']:.1f}s"), highlight=False,
                  soft_wrap=True)
    if budget.get("tokens_estimated"):
        console.print(Text("note: the model server reported no token usage: tokens and dollars are estimated from "
                           "the text's length (about 4 characters a token)"), highlight=False, soft_wrap=True)
    for test_set in (summary.get("tests_after") or {}).get("scope") or []:
        console.print(Text(f"verdict covers {describe_test_set(test_set)}"), highlight=False, soft_wrap=True)
    if summary.get("patch"):
        from repair.reports import match_label, read_review  # the report code loads when there is one to read

        review = read_review(outcome.run_dir)
        if review is not None:
            console.print(Text(f"ground truth: {match_label(review.get('ground_truth'))}"), highlight=False)
    for path in outcome.applied:
        console.print(Text(f"applied: {path}"), highlight=False, soft_wrap=True)
    console.print(Text(f"run artifacts: {outcome.run_dir}"), highlight=False, soft_wrap=True)
    if (outcome.run_dir / "report.html").is_file():
        console.print(Text(f"review report: {outcome.run_dir / 'report.md'} and report.html"), highlight=False,
                      soft_wrap=True)


def escalation_line(summary: dict[str, Any]) -> str:
    """The agents that answered, in order, and which level gave the patch or where the escalation stopped."""
    agents = " → ".join(summary.get("agents") or []) or "no agent answered"
    if summary.get("level"):
        return f"{agents}; patch from level {summary['level']}"
    levels = summary.get("levels") or []
    if not levels:
        return f"{agents}; no patch"
    last = levels[-1]
    return f"{agents}; no patch (stopped at L{last.get('level')}: {last.get('reason')})"


@command("fix")
def fix(
    bug: str | None = BugArgument,
    bug_option: str | None = BugOption,
    model: str | None = ModelOption,
    base_url: str | None = BaseUrlOption,
    max_cycles: int = MaxCyclesOption,
    budget_usd: float | None = BudgetUsdOption,
    max_tokens: int | None = MaxTokensOption,
    max_seconds: float | None = typer.Option(None, "--max-seconds", min=1, help="Wall time of the whole run "
                                             "(seconds), checkout and baseline tests included."),
    apply: bool = typer.Option(False, "--apply", help="Write a plausible patch into the local repo (--repo) and "
                               "list the files it changed."),
    perfect_fl: bool = typer.Option(False, "--perfect-fl", help="Fault localization from the bug's ground truth."),
    backend: str = BackendOption,
    strategy: str = StrategyOption,
    all_plausible: bool = typer.Option(False, "--all-plausible", help="Offline engine: keep searching after the "
                                       "first plausible patch and report every plausible one."),
    runs_dir: Path | None = typer.Option(None, "--runs-dir", help="Where runs/<bug>/<ts>/ go (default: ./runs; "
                                         "for a repo that holds the current folder, a folder outside it: "
                                         "~/.local/state/repair/runs)."),
    prices: Path | None = typer.Option(None, "--prices", help="JSON {model: [usd/M prompt, usd/M completion]}."),
    repo: Path | None = RepoOption,
    test_cmd: str | None = TestCmdOption,
    final_test_cmd: str | None = FinalTestCmdOption,
    quixbugs_root: str | None = QuixBugsRootOption,
    web: bool | None = WebOption,
) -> None:
    """Run the repair agent on a bug; print the patch and the result."""
    bug_id = bug_id_from(bug, repo, bug_option)
    options = FixOptions(bug_id, model=model, base_url=base_url, max_cycles=max_cycles, budget_usd=budget_usd,
                         max_tokens=max_tokens, max_seconds=max_seconds, perfect_fl=perfect_fl, backend=backend,
                         runs_dir=str(runs_dir or default_runs_dir(bug_id)), apply=apply,
                         prices_file=str(prices) if prices else None, quixbugs_root=quixbugs_root,
                         test_cmd=test_cmd, final_test_cmd=final_test_cmd, strategy=strategy,
                         all_plausible=all_plausible, web=web)
    progress = LiveProgress(console)
    try:
        outcome = run_fix(options, observer=progress, say=progress.phase)
    except NothingToRepair as exc:
        console.print(Text(str(exc)), highlight=False, soft_wrap=True)
        return
    finally:
        progress.close()
    print_outcome(outcome)
    if outcome.summary["status"] != "plausible":
        raise typer.Exit(1)


@command("replay")
def replay_command(
    run_dir: Path = typer.Argument(..., help="A run directory (runs/<bug>/<ts>/)."),
    trust: bool = typer.Option(False, "--trust", help="Replay a run folder this machine did not write: it runs "
                               "the folder's test command and patches, so only for folders you trust."),
    backend: str | None = typer.Option(None, "--backend", help="Workspace backend: local or docker "
                                       "(default: the run's own)."),
) -> None:
    """Rerun a recorded run with its recorded model replies and check the result is the same."""
    progress = LiveProgress(console)
    try:
        outcome = replay(run_dir, observer=progress, trust=trust, backend=backend)
    finally:
        progress.close()
    print_outcome(outcome.replay)
    if outcome.same:
        steps = outcome.replay.summary.get("cycles", 0)
        console.print(Text.assemble(("replay matches", "green"), f": every step the same, {outcome.original['status']}"
                                    f", same reason and patch ({steps} cycles)"), highlight=False, soft_wrap=True)
        return
    console.print(Text.assemble(("replay differs", "red"), f": {'; '.join(outcome.differences)}"), highlight=False,
                  soft_wrap=True)
    raise typer.Exit(1)
