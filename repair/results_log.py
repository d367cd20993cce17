"""`results.jsonl`, a batch's results file: written by the batch, read by the summary and `repair compare`."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from repair.containers.secrets_filter import redact
from repair.errors import RepairError

RESULTS_FILE = "results.jsonl"


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
        # A record quotes a worker's log and a test's output: no secret's value is written.
        line = (redact(json.dumps(record, sort_keys=True)) + "\n").encode("utf-8")
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
