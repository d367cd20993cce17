"""`repair batch` (many bugs in parallel), `repair report RUN_DIR` and `repair compare RUN_A RUN_B`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.text import Text

from repair.batch import BatchOptions, run_batch
from repair.cli_app import (
    BackendOption,
    BaseUrlOption,
    BudgetUsdOption,
    MaxCyclesOption,
    MaxTokensOption,
    QuixBugsRootOption,
    StrategyOption,
    WebOption,
    command,
    console,
    err_console,
)
from repair.models.budget import usd
from repair.reports import compare_runs, render_comparison, totals, write_run_reports


@command("batch")
def batch(
    dataset: str = typer.Option(..., "--dataset", "-d", help="demo, quixbugs-java, quixbugs-python, defects4j..."),
    bugs: str | None = typer.Option(None, "--bugs", help="Names, globs and ranges: 'Closure-1..20,Lang-*'."),
    workers: int = typer.Option(2, "--workers", "-j", min=1, help="Bugs run at the same time."),
    model: str | None = typer.Option(None, "--model", "-m", help="As for `repair fix`; {name} is replaced by "
                                     "the bug's name (e.g. scripted:scripts/{name}.json)."),
    base_url: str | None = BaseUrlOption,
    out: Path = typer.Option(Path("batch"), "--out", "-o", help="Where results.jsonl, runs/ and the summary go."),
    resume: bool = typer.Option(False, "--resume", help="Continue a batch in --out, skipping finished bugs."),
    max_cycles: int = MaxCyclesOption,
    max_tokens: int | None = MaxTokensOption,
    budget_usd: float | None = BudgetUsdOption,
    max_seconds: float = typer.Option(900.0, "--max-seconds", min=1, help="Wall time per bug (seconds): the agent "
                                      "stops there, and a worker still running is killed."),
    backend: str = BackendOption,
    strategy: str = StrategyOption,
    no_overfitting: bool = typer.Option(False, "--no-overfitting-check",
                                        help="Skip running the held-out tests of the real fix on plausible patches."),
    quixbugs_root: str | None = QuixBugsRootOption,
    time_limit: float | None = typer.Option(None, "--time-limit", min=1, hidden=True,
                                            help="The old name of --max-seconds."),
    cost_limit: float | None = typer.Option(None, "--cost-limit", min=0, hidden=True,
                                            help="The old name of --budget-usd."),
    executor: str = typer.Option("local", "--executor", help="local: worker processes here; dask: tasks on a "
                                 "Dask cluster (pip install 'repair-agent[dask]'; see docs/dask.md)."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="With --executor dask: a running scheduler "
                                         "(tcp://HOST:8786); without it a LocalCluster of --workers workers."),
    shared_runs: bool = typer.Option(False, "--shared-runs", help="With --executor dask: every worker sees --out "
                                     "at the same path, so runs are written there instead of copied back."),
    web: bool | None = WebOption,
) -> None:
    """Run the agent over many bugs of a dataset; results.jsonl, per-bug reports and summary.{md,html}.

    The budgets are those of `repair fix`, per bug."""
    options = BatchOptions(dataset, bugs=bugs, workers=workers, model=model, base_url=base_url, out=str(out),
                           resume=resume, max_seconds=time_limit if time_limit is not None else max_seconds,
                           budget_usd=cost_limit if cost_limit is not None else budget_usd, max_cycles=max_cycles,
                           quixbugs_root=quixbugs_root, overfitting=not no_overfitting, max_tokens=max_tokens,
                           backend=backend, strategy=strategy, executor=executor,
                           scheduler=scheduler, shared_runs=shared_runs, web=web)
    outcome = run_batch(options, err_console)
    t = totals(outcome.records)
    console.print(Text(f"{t.line()}; {usd(t.cost_usd)}"), highlight=False, soft_wrap=True)
    console.print(Text(f"summary: {outcome.out / 'summary.html'}"), highlight=False, soft_wrap=True)


@command("report")
def report(run_dir: Path = typer.Argument(..., help="A run directory (runs/<bug>/<ts>/).")) -> None:
    """(Re)write report.md and report.html of a run."""
    write_run_reports(run_dir)
    console.print(Text(f"wrote {run_dir / 'report.md'} and {run_dir / 'report.html'}"), highlight=False,
                  soft_wrap=True)


@command("compare")
def compare(
    run_a: Path = typer.Argument(..., help="A batch directory, results.jsonl, or runs directory."),
    run_b: Path = typer.Argument(..., help="The other one."),
) -> None:
    """Print the bugs fixed (plausible) in one run but not in the other, and those only one of them ran."""
    # Plain output: one bug per line, never wrapped, so scripts can read it.
    typer.echo(render_comparison(compare_runs(run_a, run_b), str(run_a), str(run_b)), nl=False)
