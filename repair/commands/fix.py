"""`repair fix` (run the agent on a bug) and `repair replay` (rerun a recorded run and compare)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.panel import Panel
from rich.syntax import Syntax

from repair.cli_app import QuixBugsRootOption, RepoOption, TestCmdOption, app, bug_id_from, console
from repair.fix_run import FixOptions, FixOutcome, replay, run_fix
from repair.models.base import ToolCall
from repair.trajectory import Step

_COLORS = {"understand": "cyan", "collect": "blue", "try_fix": "magenta", "done": "green"}


class LiveProgress:
    """Prints one line per cycle (state, tool, outcome) and a spinner while a tool runs."""

    def __init__(self, out: Console) -> None:
        self.out = out
        self.status = out.status("starting", spinner="dots")

    def tool_started(self, cycle: int, state: str, call: ToolCall) -> None:
        self.status.update(f"cycle {cycle} [{_COLORS.get(state, 'white')}]{state}[/] running {call.name}")
        self.status.start()

    def step_done(self, step: Step) -> None:
        self.status.stop()
        move = step.state_before if step.state_before == step.state_after else \
            f"{step.state_before} → {step.state_after}"
        first = step.result.strip().splitlines()[0][:110] if step.result.strip() else ""
        mark = "[red]✗[/]" if not step.ok else "[green]✓[/]"
        self.out.print(f"{step.cycle:>3} [{_COLORS.get(step.state_after, 'white')}]{move:<22}[/] "
                       f"{step.tool or '(malformed)':<24} {mark} {first}", highlight=False, markup=True, no_wrap=True,
                       overflow="ellipsis")


def print_outcome(outcome: FixOutcome) -> None:
    summary = outcome.summary
    if summary.get("patch"):
        console.print(Panel(Syntax(summary["patch"], "diff", theme="ansi_dark"), title="patch"))
    if summary.get("strategy") == "escalate":
        level = summary.get("level")
        console.print(f"escalation: {' → '.join(summary.get('agents', []))}; "
                      f"patch from level {level if level else '-'}", highlight=False)
    if summary.get("search"):
        search = summary["search"]
        counts = ", ".join(f"{search[k]} {k}" for k in ("generated", "compiled", "tested", "plausible") if k in search)
        times = ", ".join(f"{k.removesuffix('_seconds')} {search[k]:.1f}s"
                          for k in ("generation_seconds", "compilation_seconds", "test_seconds") if k in search)
        console.print(f"offline search: {counts}; {times}", highlight=False)
    color = "green" if summary["status"] == "plausible" else "red"
    console.print(f"[{color}]{summary['status']}[/] — {summary['reason']}; {summary['cycles']} cycles, "
                  f"{summary['tokens']['prompt'] + summary['tokens']['completion']} tokens, "
                  f"${summary['cost_usd']:.4f}, {summary['seconds']:.1f}s", highlight=False)
    console.print(f"run artifacts: {outcome.run_dir}", highlight=False)
    if (outcome.run_dir / "report.html").is_file():
        console.print(f"review report: {outcome.run_dir / 'report.md'} and report.html", highlight=False)


@app.command("fix")
def fix(
    bug: str | None = typer.Option(None, "--bug", "-b", help="Bug id, e.g. demo:BINARY_SEARCH."),
    model: str | None = typer.Option(None, "--model", "-m", help="offline, scripted:FILE, openai:NAME or "
                                     "openai-compatible:NAME (default: offline unless OPENAI_API_KEY is set)."),
    base_url: str | None = typer.Option(None, "--base-url", help="An OpenAI-compatible server, e.g. "
                                        "http://localhost:8000/v1."),
    max_cycles: int = typer.Option(40, "--max-cycles", min=1, help="Stop after this many agent cycles."),
    budget_usd: float | None = typer.Option(None, "--budget-usd", help="Stop once the model cost this much."),
    max_tokens: int | None = typer.Option(None, "--max-tokens", help="Stop after this many tokens."),
    max_seconds: float | None = typer.Option(None, "--max-seconds", help="Stop after this much wall time."),
    apply: bool = typer.Option(False, "--apply", help="Write a plausible patch into the local repo (--repo)."),
    perfect_fl: bool = typer.Option(False, "--perfect-fl", help="Fault localization from the bug's ground truth."),
    backend: str = typer.Option("local", "--backend", help="Workspace backend: local or docker."),
    strategy: str = typer.Option("auto", "--strategy", help="fsm (RepairAgent's agent), escalate (FixAgent's "
                                 "L1→L2→L3, then the agent) or auto: escalate with an LLM, fsm offline."),
    all_plausible: bool = typer.Option(False, "--all-plausible", help="Offline engine: keep searching after the "
                                       "first plausible patch and report every plausible one."),
    runs_dir: Path = typer.Option(Path("runs"), "--runs-dir", help="Where runs/<bug>/<ts>/ go."),
    prices: Path | None = typer.Option(None, "--prices", help="JSON {model: [usd/M prompt, usd/M completion]}."),
    repo: Path | None = RepoOption,
    test_cmd: str | None = TestCmdOption,
    quixbugs_root: str | None = QuixBugsRootOption,
) -> None:
    """Run the repair agent on a bug; print the patch and the result."""
    options = FixOptions(bug_id_from(bug, repo), model, base_url, max_cycles, budget_usd, max_tokens, max_seconds,
                         perfect_fl, backend, str(runs_dir), apply, str(prices) if prices else None,
                         quixbugs_root, test_cmd, strategy, all_plausible)
    outcome = run_fix(options, observer=LiveProgress(console))
    print_outcome(outcome)
    if outcome.summary["status"] != "plausible":
        raise typer.Exit(1)


@app.command("replay")
def replay_command(run_dir: Path = typer.Argument(..., help="A run directory (runs/<bug>/<ts>/).")) -> None:
    """Rerun a recorded run with its recorded model replies and check the result is the same."""
    outcome = replay(run_dir, observer=LiveProgress(console))
    print_outcome(outcome.replay)
    if outcome.same:
        console.print(f"[green]replay matches[/]: {outcome.original['status']}, same patch")
        return
    console.print(f"[red]replay differs[/]: {json.dumps(outcome.differences)}")
    raise typer.Exit(1)
