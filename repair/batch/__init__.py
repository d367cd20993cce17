"""`repair batch`: run the agent over many bugs of a dataset in parallel worker processes.

Each bug runs in its own process (`python -m repair.batch worker SPEC`, `worker.py`), which calls `run_fix` in
a fresh workspace, checks a plausible patch for overfitting and writes the run's reports. An executor
(`executor.py`) runs those processes: `local_executor.py` here (`pool.py` starts and stops them, killing one
that passes its time limit), `dask_executor.py` one task per bug on a Dask cluster (`dask_task.py` on the
worker). The parent (`run.py`) appends one line per finished bug (`records.py`) to `results.jsonl`
(`repair.results_log`: under a lock, fsync'ed), so a killed batch resumes with `--resume` and neither loses nor
repeats a bug. Local workers share the batch's process group: killing that group stops the whole batch.
"""

from repair.batch.options import BatchOptions, BatchOutcome
from repair.batch.run import run_batch
from repair.results_log import RESULTS_FILE, ResultsLog, read_results

__all__ = ["RESULTS_FILE", "BatchOptions", "BatchOutcome", "ResultsLog", "read_results", "run_batch"]
