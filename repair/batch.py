"""`repair batch`: run the agent over many bugs of a dataset in parallel worker processes.

Each bug runs in its own process (`python -m repair.batch worker SPEC`), which calls `run_fix` in a fresh
workspace, checks a plausible patch for overfitting and writes the run's reports. The parent schedules the
workers, kills one that passes its time limit, and appends one line per finished bug to `results.jsonl`
(under a lock, fsync'ed), so a killed batch resumes with `--resume` and neither loses nor repeats a bug.
Workers share the batch's process group: killing that group stops the whole batch.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from repair.bug_selection import bug_name, select_bugs
from repair.datasets.registry import DatasetOptions, open_dataset
from repair.errors import RepairError

RESULTS_FILE = "results.jsonl"
OPTIONS_FILE = "batch.json"
LOCK_FILE = ".batch.lock"
KILL_GRACE_SECONDS = 5.0  # a timed-out worker gets this long after SIGTERM to clean its workspace up
POLL_SECONDS = 0.2


@dataclass
class BatchOptions:
    """What `repair batch` is told. `model` may contain `{name}` or `{bug}` (e.g. `scripted:dir/{name}.json`)."""

    dataset: str
    bugs: str | None = None
    workers: int = 2
    model: str | None = None
    base_url: str | None = None
    out: str = "batch"
    resume: bool = False
    time_limit: float = 900.0
    cost_limit: float | None = None
    max_cycles: int = 40
    quixbugs_root: str | None = None
    overfitting: bool = True


@dataclass
class BatchOutcome:
    """All results of the batch (earlier ones included on resume) and where they are."""

    out: Path
    records: list[dict[str, Any]]
    skipped: list[str] = field(default_factory=list)  # bugs already finished before this run


# -- results.jsonl ------------------------------------------------------------------------------------------
class ResultsLog:
    """`results.jsonl`: one JSON object per finished bug, appended whole and fsync'ed under an flock."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self, repair_torn_tail: bool = False) -> dict[str, dict[str, Any]]:
        """Finished bugs by id. A torn last line (the batch was killed while writing it) is ignored, and
        cut off the file only when `repair_torn_tail` (the resuming batch, which holds the batch lock)."""
        if not self.path.is_file():
            return {}
        with self._locked("r+b" if repair_torn_tail else "rb") as handle:
            data = handle.read()
            complete = data[: data.rfind(b"\n") + 1]
            if repair_torn_tail and len(complete) != len(data) and not _is_record(data[len(complete):]):
                handle.truncate(len(complete))
                os.fsync(handle.fileno())
        if len(complete) != len(data) and _is_record(data[len(complete):]):
            complete = data  # a whole record that only lacks its newline
        records: dict[str, dict[str, Any]] = {}
        for number, line in enumerate(complete.decode("utf-8", errors="replace").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise RepairError(f"{self.path}:{number} is not JSON ({exc}); fix or remove that line") from exc
            if not isinstance(record, dict) or not isinstance(record.get("bug"), str):
                raise RepairError(f"{self.path}:{number} is not a batch result (an object with a 'bug')")
            records.setdefault(record["bug"], record)
        return records

    def append(self, record: dict[str, Any]) -> None:
        line = (json.dumps(record, sort_keys=True) + "\n").encode("utf-8")
        with self._locked("ab") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())

    @contextlib.contextmanager
    def _locked(self, mode: str) -> Iterator[IO[bytes]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open(mode) as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield handle
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _is_record(tail: bytes) -> bool:
    try:
        record = json.loads(tail.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(record, dict) and "bug" in record


def read_results(out: Path) -> list[dict[str, Any]]:
    """The records of a batch directory (or of a `results.jsonl` file), in the order they finished."""
    path = out if out.is_file() else out / RESULTS_FILE
    if not path.is_file():
        raise RepairError(f"{out} has no {RESULTS_FILE}: is it a batch output directory?")
    return list(ResultsLog(path).load().values())


# -- workers ------------------------------------------------------------------------------------------------
@dataclass
class _Running:
    bug: str
    process: subprocess.Popen[bytes]
    run_dir: Path
    started: float
    log: IO[bytes]


def _model_for(spec: str | None, bug_id: str) -> str | None:
    if spec is None:
        return None
    return spec.replace("{name}", bug_name(bug_id)).replace("{bug}", bug_id.replace(":", "__"))


def _run_dir(out: Path, bug_id: str) -> Path:
    safe = bug_id.replace("/", "_").replace(":", "__")[-120:]
    return out / "runs" / safe / datetime.now().strftime("%Y%m%d-%H%M%S-%f")


def _start_worker(options: BatchOptions, out: Path, bug_id: str) -> _Running:
    run_dir = _run_dir(out, bug_id)
    run_dir.mkdir(parents=True)
    spec = {"bug": bug_id, "run_dir": str(run_dir), "options": asdict(options)}
    log = (run_dir / "worker.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "repair.batch", "worker", json.dumps(spec)],
                               stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    return _Running(bug_id, process, run_dir, time.monotonic(), log)


def _stop(running: _Running) -> None:
    """SIGTERM (the worker cleans its workspace up), then SIGKILL after a grace period."""
    with contextlib.suppress(ProcessLookupError):
        running.process.terminate()
    try:
        running.process.wait(timeout=KILL_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        running.process.kill()
        running.process.wait()


def _trajectory_totals(run_dir: Path) -> tuple[int, float, Counter[str]]:
    """Cycles, cost and tool counts so far, read from a (possibly unfinished) trajectory."""
    path = run_dir / "trajectory.jsonl"
    cycles, cost, tools = 0, 0.0, Counter[str]()
    if not path.is_file():
        return cycles, cost, tools
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            step = json.loads(line)
        except json.JSONDecodeError:
            continue  # the line being written when the worker was stopped
        cycles += 1
        cost += float(step.get("cost_usd") or 0.0)
        if step.get("tool"):
            tools[step["tool"]] += 1
    return cycles, cost, tools


def _record(running: _Running, out: Path, time_limit: float, timed_out: bool) -> dict[str, Any]:
    """The results.jsonl line of a finished (or killed) worker."""
    cycles, cost, tools = _trajectory_totals(running.run_dir)
    wall = round(time.monotonic() - running.started, 3)
    base: dict[str, Any] = {"bug": running.bug, "run_dir": str(running.run_dir.relative_to(out)),
                            "wall_seconds": wall, "tools": dict(tools), "cycles": cycles,
                            "cost_usd": round(cost, 6), "patch": "", "tokens": 0, "seconds": wall,
                            "ground_truth": None, "overfitting": None, "model": None}
    result_file = running.run_dir / "result.json"
    if timed_out:
        return {**base, "status": "timeout", "reason": f"killed after the time limit of {time_limit:g}s"}
    if not result_file.is_file():
        log = (running.run_dir / "worker.log").read_text(encoding="utf-8", errors="replace").strip()
        last = log.splitlines()[-1] if log else f"the worker exited with {running.process.returncode}"
        return {**base, "status": "error", "reason": last[:500]}
    result = json.loads(result_file.read_text())
    status, reason = result["status"], result.get("reason", "")
    if status == "failed" and reason.startswith("time budget spent"):
        status = "timeout"
    elif status == "failed" and reason.startswith("dollar budget spent"):
        status = "cost_limit"
    review = _read_json(running.run_dir / "review.json")
    return {**base, "status": status, "reason": reason, "model": result.get("model"), "patch": result.get("patch", ""),
            "cycles": result.get("cycles", cycles), "cost_usd": result.get("cost_usd", cost),
            "tokens": sum((result.get("tokens") or {}).values()), "seconds": result.get("seconds", wall),
            "ground_truth": review.get("ground_truth"), "overfitting": review.get("overfitting")}


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


# -- progress -----------------------------------------------------------------------------------------------
@dataclass
class _Progress:
    total: int
    records: list[dict[str, Any]] = field(default_factory=list)
    running: dict[str, _Running] = field(default_factory=dict)

    def render(self) -> Group:
        statuses = Counter(r["status"] for r in self.records)
        live_cost = sum(_trajectory_totals(r.run_dir)[1] for r in self.running.values())
        cost = sum(float(r.get("cost_usd") or 0.0) for r in self.records) + live_cost
        head = Table.grid(padding=(0, 2))
        head.add_row(f"done [bold]{len(self.records)}[/]/{self.total}", f"[green]plausible {statuses['plausible']}[/]",
                     f"[red]failed {len(self.records) - statuses['plausible']}[/]",
                     f"[cyan]running {len(self.running)}[/]", f"cost ${cost:.4f}")
        now = time.monotonic()
        running = Text("\n".join(f"  ▸ {bug} ({now - r.started:.0f}s)" for bug, r in self.running.items()))
        return Group(head, running)


# -- the batch ----------------------------------------------------------------------------------------------
def run_batch(options: BatchOptions, console: Console | None = None) -> BatchOutcome:
    """Run (or resume) a batch; returns every result in the output directory when it is done."""
    if options.workers < 1:
        raise RepairError("--workers must be at least 1")
    console = console or Console(stderr=True)
    dataset = open_dataset(options.dataset, DatasetOptions(quixbugs_root=options.quixbugs_root))
    selected = select_bugs([b.id for b in dataset.list_bugs()], options.bugs)
    if not selected:
        raise RepairError(f"--bugs {options.bugs!r} selects no bug of {options.dataset}")
    out = Path(options.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    lock = (out / LOCK_FILE).open("w")
    try:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise RepairError(f"another batch is running in {out}") from None
    # SIGTERM (a CI cancel, `timeout`) unwinds like Ctrl-C, so workers are stopped and cleaned up.
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return _run_locked(options, out, console, selected)
    finally:
        signal.signal(signal.SIGTERM, previous)
        lock.close()


def _run_locked(options: BatchOptions, out: Path, console: Console, selected: list[str]) -> BatchOutcome:
    log = ResultsLog(out / RESULTS_FILE)
    done = log.load(repair_torn_tail=True)
    if done and not options.resume:
        raise RepairError(f"{out} already holds {len(done)} results: pass --resume to continue it, "
                          "or choose another --out")
    (out / OPTIONS_FILE).write_text(json.dumps(asdict(options), indent=2))
    pending = [b for b in selected if b not in done]
    skipped = [b for b in selected if b in done]
    if skipped:
        console.print(f"resuming: {len(skipped)} of {len(selected)} bugs already done", highlight=False)
    progress = _Progress(len(selected), [done[b] for b in skipped])
    try:
        with Live(progress.render(), console=console, refresh_per_second=4, transient=False) as live:
            while pending or progress.running:
                while pending and len(progress.running) < options.workers:
                    bug = pending.pop(0)
                    progress.running[bug] = _start_worker(options, out, bug)
                for bug, running in list(progress.running.items()):
                    timed_out = time.monotonic() - running.started > options.time_limit
                    if running.process.poll() is None and not timed_out:
                        continue
                    if timed_out and running.process.poll() is None:
                        _stop(running)
                    else:
                        timed_out = False
                    running.log.close()
                    record = _record(running, out, options.time_limit, timed_out)
                    log.append(record)
                    del progress.running[bug]
                    progress.records.append(record)
                    color = "green" if record["status"] == "plausible" else "red"
                    live.console.print(f"[{color}]{record['status']:<10}[/] {bug} ({record['wall_seconds']:.1f}s, "
                                       f"${float(record['cost_usd'] or 0):.4f})", highlight=False)
                live.update(progress.render())
                time.sleep(POLL_SECONDS)
    finally:
        for running in progress.running.values():  # Ctrl-C or an error: no worker outlives the batch
            _stop(running)
            running.log.close()
    records = [r for r in log.load().values() if r["bug"] in set(selected)]
    from repair.reports.summary import write_summary

    write_summary(out)
    return BatchOutcome(out, records, skipped)


# -- the worker process -------------------------------------------------------------------------------------
def _die_with_parent() -> None:
    """Ask Linux to SIGTERM this worker when the batch process dies: it cleans up its workspace and exits."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def _terminate(signum: int, frame: object) -> None:
    # Unwinding runs the `finally` blocks that kill test processes and remove the workspace.
    raise SystemExit(128 + signum)


def worker_main(spec: dict[str, Any]) -> int:
    """Run one bug of a batch: the agent, the overfitting check of a plausible patch, the reports."""
    _die_with_parent()
    signal.signal(signal.SIGTERM, _terminate)
    from repair.fix_run import FixOptions, run_fix
    from repair.reports import write_run_reports

    options = BatchOptions(**spec["options"])
    run_dir = Path(spec["run_dir"])
    bug_id = spec["bug"]
    fix_options = FixOptions(bug_id, model=_model_for(options.model, bug_id), base_url=options.base_url,
                             max_cycles=options.max_cycles, budget_usd=options.cost_limit,
                             max_seconds=options.time_limit, runs_dir=str(run_dir.parent),
                             quixbugs_root=options.quixbugs_root, reports=False)  # written below, with overfitting
    try:
        outcome = run_fix(fix_options, run_dir=run_dir)
    except RepairError as exc:
        print(f"error: {exc}", flush=True)
        return 2
    if options.overfitting and outcome.summary.get("status") == "plausible":
        from repair.overfitting import check_overfitting, save_overfitting

        try:
            save_overfitting(run_dir, check_overfitting(bug_id, outcome.summary["patch"],
                                                        DatasetOptions(quixbugs_root=options.quixbugs_root)))
        except RepairError as exc:
            print(f"overfitting check skipped: {exc}", flush=True)
    write_run_reports(run_dir)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "worker":
        sys.exit(worker_main(json.loads(sys.argv[2])))
    sys.exit("usage: python -m repair.batch worker SPEC_JSON (started by `repair batch`)")
