"""The Typer application every `repair` sub-command registers on, and shared CLI pieces."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

app = typer.Typer(
    name="repair",
    help="An autonomous program-repair agent: find the fault, propose patches, validate them with the tests.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,  # errors the user can act on are printed as one line by main()
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)

QuixBugsRootOption = typer.Option(
    None, "--quixbugs-root", envvar="REPAIR_QUIXBUGS_ROOT", help="A QuixBugs checkout (default: cached clone)."
)
TestCmdOption = typer.Option(None, "--test-cmd", help="The test command of a local repo, e.g. 'pytest -q'.")
RepoOption = typer.Option(None, "--repo", help="A local directory or git repo (the bug is local:<repo>).")
WorkdirOption = typer.Option(None, "--workdir", "-w", help="Where to check out (default: a temp dir).")


def bug_id_from(bug: str | None, repo: Path | None) -> str:
    """The bug id given directly, or `local:<repo>` from --repo."""
    if bug:
        return bug
    if repo is not None:
        return f"local:{repo.resolve()}"
    raise typer.BadParameter("give a bug id (e.g. demo:GCD_LOOP) or --repo DIR --test-cmd CMD")
