"""`repair` entry point: registers the sub-commands and turns user errors into one line."""

from __future__ import annotations

import signal
import sys

from rich.markup import escape

from repair import commands as _commands  # noqa: F401
from repair.cli_app import app, err_console
from repair.commands import batch as _batch  # noqa: F401
from repair.commands import bugs as _bugs  # noqa: F401
from repair.commands import ci as _ci  # noqa: F401
from repair.commands import fix as _fix  # noqa: F401
from repair.commands import localize as _localize  # noqa: F401
from repair.errors import RepairError


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    """Run the CLI; a `RepairError` prints `error: ...` and exits 2, Ctrl-C exits 130."""
    # SIGTERM (a CI cancel, `timeout`) unwinds like Ctrl-C, so workspaces and containers are removed.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        app()
    except RepairError as exc:
        err_console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
