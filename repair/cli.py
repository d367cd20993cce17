"""`repair` entry point: registers the sub-commands and turns user errors into one line.

A run loads only the module of the sub-command it names (`repair fix` does not import the batch
runner, Dask, the CI code or the report renderer unless it uses them); `repair --help`, an unknown
name, and `from repair.cli import app` register every sub-command.
"""

from __future__ import annotations

import importlib
import signal
import sys
from collections.abc import Sequence
from typing import Any

import typer
from rich.markup import escape

from repair import cli_app
from repair.errors import RepairError

# The module under repair/commands/ that registers each sub-command.
COMMAND_MODULES = {
    "fix": "fix", "replay": "fix",
    "batch": "batch", "report": "batch", "compare": "batch",
    "bugs": "bugs", "checkout": "bugs", "test": "bugs", "validate": "bugs",
    "ci": "ci",
    "localize": "localize",
}


def register_commands(argv: Sequence[str] | None = None) -> None:
    """Import the command modules that `argv` needs (the named sub-command's), or all of them."""
    name = next((arg for arg in argv or () if not arg.startswith("-")), None)
    modules = {COMMAND_MODULES[name]} if name in COMMAND_MODULES else set(COMMAND_MODULES.values())
    for module in sorted(modules):
        importlib.import_module(f"repair.commands.{module}")


def __getattr__(name: str) -> Any:
    if name == "app":  # `from repair.cli import app`: the app with every sub-command
        register_commands()
        return cli_app.app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


# click's base error class, found through typer, which may bring click or a vendored copy of it.
_CLICK_ERROR: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def _error(message: str) -> None:
    cli_app.err_console.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)


def main() -> None:
    """Run the CLI; a `RepairError` or a usage error prints one `error: ...` line and exits 2, Ctrl-C exits 130."""
    # SIGTERM (a CI cancel, `timeout`) unwinds like Ctrl-C, so workspaces and containers are removed.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        register_commands(sys.argv[1:])
        # Not standalone: click would draw its usage errors in a wrapped box over several lines.
        code = cli_app.app(standalone_mode=False)
    except RepairError as exc:
        _error(str(exc))
        sys.exit(2)
    except _CLICK_ERROR as exc:  # usage errors: unknown options, bad values, a missing bug id
        ctx, message = getattr(exc, "ctx", None), exc.format_message()  # type: ignore[attr-defined]
        if message:  # `repair` alone has printed its help and has nothing to add
            _error(message + (f" (see '{ctx.command_path} -h')" if ctx is not None else ""))
        sys.exit(int(getattr(exc, "exit_code", 2)))
    except (KeyboardInterrupt, typer.Abort):
        cli_app.err_console.print("interrupted")
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
