"""The Typer application every `repair` sub-command registers on, and the options the commands share.

One vocabulary: every command that takes a bug takes it positionally or as `--bug`, and `fix` and
`batch` name their budgets alike (`--max-cycles`, `--max-tokens`, `--budget-usd`, `--max-seconds`).
Help text is printed as text: Rich markup is not interpreted in it, so `[lo, hi]` stays `[lo, hi]`.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperCommand, TyperGroup

F = TypeVar("F", bound=Callable[..., Any])


def _as_text(command: Any) -> None:
    """Escape Rich markup in a command's help texts, and drop the value placeholder of boolean flags
    (`--resume`, not `--resume <bool>`)."""
    if command.help:
        command.help = escape(command.help)
    for param in command.params:
        if getattr(param, "help", None):
            param.help = escape(param.help)
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""


class _TextHelp:
    """Mixed into Typer's command classes: help texts shown as written, flags without a value placeholder."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _as_text(self)

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None and option.metavar is None:
            option.metavar = ""
        return option


class TextHelpCommand(_TextHelp, TyperCommand):
    """A sub-command of `repair`."""


class TextHelpGroup(_TextHelp, TyperGroup):
    """The `repair` group itself."""


app = typer.Typer(
    name="repair",
    cls=TextHelpGroup,
    help="An autonomous program-repair agent: find the fault, propose patches, validate them with the tests.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,  # errors the user can act on are printed as one line by main()
    add_completion=False,
    rich_markup_mode="rich",  # help texts are escaped by TextHelpCommand, so this only draws the panels
    context_settings={"help_option_names": ["-h", "--help"]},
)
console = Console()
err_console = Console(stderr=True)


def command(name: str) -> Callable[[F], F]:
    """Register a sub-command of `repair` (help printed as text)."""
    return app.command(name, cls=TextHelpCommand)


def package_version() -> str:
    try:
        return version("repair-agent")
    except PackageNotFoundError:  # a source tree that was never installed
        return "unknown"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"repair {package_version()}")
        raise typer.Exit()


@app.callback()
def _root(
    show_version: bool = typer.Option(False, "--version", is_eager=True, callback=_print_version,
                                      help="Print the version and exit."),
) -> None:
    """An autonomous program-repair agent: find the fault, propose patches, validate them with the tests."""


# -- shared options -----------------------------------------------------------------------------------------
BUG_EXAMPLES = "e.g. demo:GCD_LOOP, quixbugs-java:GCD, defects4j:Cli-5"
BugArgument = typer.Argument(None, metavar="BUG", show_default=False,
                             help=f"The bug id ({BUG_EXAMPLES}); or --bug, or --repo with --test-cmd.")
BugOption = typer.Option(None, "--bug", "-b", help="The bug id, as an option (the same as BUG).")
QuixBugsRootOption = typer.Option(
    None, "--quixbugs-root", envvar="REPAIR_QUIXBUGS_ROOT", help="A QuixBugs checkout (default: cached clone)."
)
TestCmdOption = typer.Option(None, "--test-cmd", help="The test command of a local repo, e.g. 'pytest -q'.")
FinalTestCmdOption = typer.Option(None, "--final-test-cmd", help="A local repo's whole suite, run once more before a "
                                  "patch is called plausible (default: --test-cmd without its test selection).")
RepoOption = typer.Option(None, "--repo", help="A local directory or git repo (the bug is local:<repo>).")
ModelOption = typer.Option(None, "--model", "-m", help="offline, scripted:FILE, openai:NAME or "
                           "openai-compatible:NAME (default: offline unless OPENAI_API_KEY is set).")
BaseUrlOption = typer.Option(None, "--base-url", help="An OpenAI-compatible server, e.g. http://localhost:8000/v1.")
BackendOption = typer.Option("local", "--backend", help="Where the project's code runs: local (a copy on this "
                             "machine, with your user's rights) or docker (a container without network; use it "
                             "for code you do not trust). See the README.")
StrategyOption = typer.Option("auto", "--strategy", help="fsm (RepairAgent's agent), escalate (FixAgent's "
                              "L1→L2→L3, then the agent) or auto: escalate with an LLM, fsm offline.")
MaxCyclesOption = typer.Option(40, "--max-cycles", min=1, help="At most this many model calls in the whole run "
                               "(FSM cycles, FixAgent's agents and generate_method_body alike).")
MaxTokensOption = typer.Option(None, "--max-tokens", min=1, help="At most this many model tokens in the whole run "
                               "(estimated from the text when the server reports none).")


def _positive(value: float | None) -> float | None:
    if value is not None and not value > 0:
        raise typer.BadParameter(f"must be more than 0, not {value:g}")
    return value


BudgetUsdOption = typer.Option(None, "--budget-usd", callback=_positive, help="At most this many dollars of model "
                               "calls in the whole run (no call is started that could not be paid).")
WebOption = typer.Option(None, "--web/--no-web", show_default=False, help="Let FixAgent's Helper send a search "
                         "query about the failure to the web (default: yes, unless ~/.config/repair/config.toml "
                         "says web = false); --no-web for private code.")


def bug_id_from(bug: str | None, repo: Path | None, bug_option: str | None = None) -> str:
    """The bug id given positionally or as --bug, or `local:<repo>` from --repo."""
    if bug and bug_option and bug != bug_option:
        raise typer.BadParameter(f"two bugs given: {bug} and --bug {bug_option}; give one")
    chosen = bug or bug_option
    if chosen:
        return chosen
    if repo is not None:
        return f"local:{repo.resolve()}"
    raise typer.BadParameter(f"give a bug id, as BUG or --bug BUG ({BUG_EXAMPLES}), or --repo DIR --test-cmd CMD")
