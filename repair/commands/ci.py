"""`repair ci`: reproduce a failing CI run, repair it, and propose the patch as a pull request."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.text import Text

from repair.ci import CiOptions, run_ci
from repair.cli_app import (
    BackendOption,
    BudgetUsdOption,
    MaxCyclesOption,
    MaxTokensOption,
    TestCmdOption,
    command,
    console,
)


@command("ci")
def ci(
    test_cmd: str | None = TestCmdOption,
    model: str | None = typer.Option(None, "--model", "-m", help="offline, scripted:FILE, openai:NAME or "
                                     "openai-compatible:NAME (default: offline unless OPENAI_API_KEY is set)."),
    base_url: str | None = typer.Option(None, "--base-url", help="An OpenAI-compatible server, e.g. "
                                        "http://localhost:8000/v1."),
    max_seconds: float = typer.Option(1200.0, "--max-seconds", min=1, help="Wall time of the agent (seconds), "
                                      "one clock for every level, as in `repair fix`."),
    max_cycles: int = MaxCyclesOption,
    max_tokens: int | None = MaxTokensOption,
    budget_usd: float | None = BudgetUsdOption,
    max_minutes: float | None = typer.Option(None, "--max-minutes", min=0.1, hidden=True,
                                             help="The old name of --max-seconds, in minutes."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Write repair-ci/ only: push no branch, open no PR."),
    open_pr: bool = typer.Option(True, "--open-pr/--no-open-pr", help="Open a pull request for the pushed "
                                 "branch (needs GITHUB_TOKEN and GITHUB_REPOSITORY)."),
    base: str | None = typer.Option(None, "--base", help="The PR's base branch (default: the branch that failed)."),
    remote: str = typer.Option("origin", "--remote", help="The git remote to push the repair branch to."),
    repo: Path = typer.Option(Path("."), "--repo", help="The checked-out repository."),
    out_dir: Path | None = typer.Option(None, "--out", help="Where patch.diff, report.md and result.json go "
                                        "(default: <repo>/repair-ci)."),
    backend: str = BackendOption,
    web: bool = typer.Option(False, "--web/--no-web", help="Let FixAgent's Helper search the web about the "
                             "failure (off by default: CI code may be private)."),
) -> None:
    """Repair the failing tests of this checkout and propose the patch on a repair/<run-id> branch and PR."""
    options = CiOptions(repo=repo, test_cmd=test_cmd, model=model, base_url=base_url,
                        max_seconds=max_minutes * 60 if max_minutes is not None else max_seconds,
                        max_cycles=max_cycles, max_tokens=max_tokens, budget_usd=budget_usd, dry_run=dry_run,
                        open_pr=open_pr, base=base, remote=remote, out_dir=out_dir, backend=backend, web=web)
    outcome = run_ci(options, say=lambda line: console.print(line, highlight=False, markup=False, soft_wrap=True))
    if outcome.patch:
        console.print(outcome.patch, highlight=False, markup=False, soft_wrap=True)
    color = "green" if outcome.exit_code == 0 else "red"
    console.print(Text.assemble((outcome.status, color), f": {outcome.message}"), highlight=False, soft_wrap=True)
    if outcome.exit_code:
        raise typer.Exit(outcome.exit_code)
