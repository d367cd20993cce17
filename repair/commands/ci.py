"""`repair ci`: reproduce a failing CI run, repair it, and propose the patch as a pull request."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.text import Text

from repair.ci import CiOptions, run_ci
from repair.cli_app import BackendOption, TestCmdOption, command, console


@command("ci")
def ci(
    test_cmd: str | None = TestCmdOption,
    model: str | None = typer.Option(None, "--model", "-m", help="offline, scripted:FILE, openai:NAME or "
                                     "openai-compatible:NAME (default: offline unless OPENAI_API_KEY is set)."),
    base_url: str | None = typer.Option(None, "--base-url", help="An OpenAI-compatible server, e.g. "
                                        "http://localhost:8000/v1."),
    max_minutes: float = typer.Option(20.0, "--max-minutes", min=0.1, help="Wall-time budget of the agent."),
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
    options = CiOptions(repo, test_cmd, model, base_url, max_minutes, dry_run, open_pr, base, remote, out_dir,
                        backend, web)
    outcome = run_ci(options, say=lambda line: console.print(line, highlight=False, markup=False, soft_wrap=True))
    if outcome.patch:
        console.print(outcome.patch, highlight=False, markup=False, soft_wrap=True)
    color = "green" if outcome.exit_code == 0 else "red"
    console.print(Text.assemble((outcome.status, color), f": {outcome.message}"), highlight=False, soft_wrap=True)
    if outcome.exit_code:
        raise typer.Exit(outcome.exit_code)
