"""Gather what a reviewer needs about one run from its directory: result, trajectory, bug, ground truth, FL.

The review is saved as `review.json` next to the run's artifacts, so that batch summaries and comparisons
read it without checking the bug out again.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from repair.checkout import make_workspace
from repair.datasets.registry import DatasetOptions, resolve_bug
from repair.errors import RepairError
from repair.fault_localization import FaultLocalizer, Suspicious, rank_methods
from repair.offline.mutants import TemplateMutants
from repair.overfitting import load_overfitting
from repair.reports.patch_match import ground_truth_match
from repair.trajectory import Step, read_trajectory

REVIEW_FILE = "review.json"
FL_FILE = "fault_localization.json"
FL_TOP = 15


@dataclass
class TimelineEntry:
    """One agent cycle as the report shows it."""

    cycle: int
    state_before: str
    state_after: str
    tool: str
    ok: bool
    detail: str  # the hypothesis, the file read, the first line of the result...
    seconds: float
    level: str = ""


@dataclass
class RunReview:
    """Everything a patch review report shows."""

    run_dir: str
    bug: str
    status: str
    reason: str
    model: str
    patch: str
    description: str = ""
    language: str = ""
    failing_tests: list[str] = field(default_factory=list)
    tests_after: dict[str, Any] | None = None
    ground_truth: str | None = None  # exact | ast | differs | None (no ground truth known)
    ground_truth_patch: str = ""
    fault_localization: list[dict[str, Any]] = field(default_factory=list)
    fault_localization_methods: list[dict[str, Any]] = field(default_factory=list)  # of the lines above
    timeline: list[TimelineEntry] = field(default_factory=list)
    hypotheses: list[str] = field(default_factory=list)
    fixes_tried: list[dict[str, Any]] = field(default_factory=list)
    search: dict[str, Any] | None = None  # the offline search's counts (generated, dropped by reason, ...)
    candidates: list[dict[str, Any]] = field(default_factory=list)  # each candidate the model judged, its fate
    tools: dict[str, int] = field(default_factory=dict)
    overfitting: dict[str, Any] | None = None
    cycles: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunReview:
        data = dict(data)
        data["timeline"] = [TimelineEntry(**t) for t in data.get("timeline", [])]
        return cls(**data)


# The fields of result.json a report or a replay reads, and the JSON types they must have when present.
_RESULT_FIELDS: dict[str, type | tuple[type, ...]] = {
    "bug": str, "status": str, "reason": str, "model": str, "patch": str, "cycles": int, "seconds": (int, float),
    "cost_usd": (int, float), "tokens": dict, "tests_before": dict, "tests_after": (dict, type(None)),
    "fixes_tried": list, "options": dict, "candidates": list, "search": (dict, type(None)),
}


def read_run_result(run_dir: Path) -> dict[str, Any]:
    """A run directory's result.json; a RepairError in one line when it is missing, empty, not JSON, or not
    the result of a run (a field of the wrong kind)."""
    result_file = run_dir / "result.json"
    if not run_dir.is_dir():
        raise RepairError(f"{run_dir} is not a run directory: no such directory")
    if not result_file.is_file():
        raise RepairError(f"{run_dir} is not a run directory: it has no result.json")
    try:
        result = json.loads(result_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RepairError(f"{result_file} is not JSON ({exc}): the run did not finish writing it, or it was "
                          "damaged") from None
    if not isinstance(result, dict):
        raise RepairError(f"{result_file} is not a run's result: expected a JSON object")
    for key, kind in _RESULT_FIELDS.items():
        if key in result and not isinstance(result[key], kind):
            raise RepairError(f"{result_file} is not a run's result: '{key}' is {type(result[key]).__name__}")
    return result


def review_run(run_dir: Path, localize: bool = True) -> RunReview:
    """Build the review of a run directory (needs result.json; the rest is optional) and save review.json."""
    result = read_run_result(run_dir)
    steps = _steps(run_dir)
    try:
        return _review(run_dir, result, steps, localize)
    except (TypeError, ValueError, AttributeError, KeyError) as exc:  # a field deeper down of the wrong kind
        raise RepairError(f"{run_dir} holds a damaged run: {type(exc).__name__}: {exc}") from None


def _review(run_dir: Path, result: dict[str, Any], steps: list[Step], localize: bool) -> RunReview:
    tokens = result.get("tokens") or {}
    review = RunReview(
        run_dir=str(run_dir), bug=result.get("bug", "?"), status=result.get("status", "?"),
        reason=result.get("reason", ""), model=result.get("model", "?"), patch=result.get("patch", ""),
        failing_tests=list((result.get("tests_before") or {}).get("failing", [])),
        tests_after=result.get("tests_after"), fixes_tried=list(result.get("fixes_tried", [])),
        cycles=int(result.get("cycles", len(steps))), prompt_tokens=int(tokens.get("prompt", 0)),
        completion_tokens=int(tokens.get("completion", 0)), cost_usd=float(result.get("cost_usd", 0.0)),
        seconds=float(result.get("seconds", 0.0)), overfitting=load_overfitting(run_dir),
    )
    review.search = result.get("search")
    review.candidates = list(result.get("candidates") or [c for s in steps for c in s.data.get("candidates", [])])
    review.timeline = [_timeline_entry(s) for s in steps]
    review.hypotheses = [str(s.args.get("hypothesis", "")) for s in steps
                         if s.tool == "express_hypothesis" and s.ok and s.args.get("hypothesis")]
    for step in steps:
        if step.tool:
            review.tools[step.tool] = review.tools.get(step.tool, 0) + 1
    review.fault_localization = _fl_from_steps(steps) or _cached_fl(run_dir)
    _add_bug_facts(review, run_dir, result.get("options") or {}, localize)
    review.fault_localization_methods = methods_of(review.fault_localization)
    (run_dir / REVIEW_FILE).write_text(json.dumps(review.to_dict(), indent=2))
    return review


def read_review(run_dir: Path) -> dict[str, Any] | None:
    """The saved `review.json` of a run, or None when it has none (reports were not written)."""
    try:
        data = json.loads((run_dir / REVIEW_FILE).read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _steps(run_dir: Path) -> list[Step]:
    path = run_dir / "trajectory.jsonl"
    return read_trajectory(path) if path.is_file() else []


def _timeline_entry(step: Step) -> TimelineEntry:
    args = step.args or {}
    if step.tool in ("express_hypothesis", "discard_hypothesis"):
        detail = str(args.get("hypothesis") or args.get("reason") or "")
    elif "file" in args:
        span = f":{args.get('start')}-{args.get('end')}" if "start" in args else ""
        detail = f"{args['file']}{span}"
    elif "key_words" in args:
        detail = "search: " + ", ".join(map(str, args["key_words"]))
    else:
        lines = step.result.strip().splitlines()
        detail = lines[0] if lines else ""
    level = step.data.get("level") or args.get("level") or ""
    tool = step.tool or ("(run stopped)" if step.data.get("stopped") else "(malformed reply)")
    return TimelineEntry(step.cycle, step.state_before, step.state_after, tool, step.ok, detail[:200],
                         round(step.seconds, 2), str(level))


def _fl_from_steps(steps: list[Step]) -> list[dict[str, Any]]:
    for step in steps:
        suspects = step.data.get("suspects") if step.tool == "run_fault_localization" else None
        if suspects:
            return [_suspect(s) for s in suspects[:FL_TOP]]
    return []


def methods_of(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The methods of a line ranking, each as suspicious as its best line (fault_localization.methods)."""
    suspects = [Suspicious(s["file"], s["line"], None if s["method"] == "?" else s["method"], s["score"])
                for s in lines]
    return [m.to_dict() for m in rank_methods(suspects)]


def _suspect(s: dict[str, Any]) -> dict[str, Any]:
    return {"file": s.get("file", "?"), "line": int(s.get("line", 0)), "method": s.get("method") or "?",
            "score": float(s.get("score", 0.0))}


def _cached_fl(run_dir: Path) -> list[dict[str, Any]]:
    path = run_dir / FL_FILE
    if not path.is_file():
        return []
    try:
        return [_suspect(s) for s in json.loads(path.read_text())]
    except (json.JSONDecodeError, TypeError, AttributeError):
        return []


def _add_bug_facts(review: RunReview, run_dir: Path, options: dict[str, Any], localize: bool) -> None:
    """Description, ground-truth match and (when the agent ran none) fault localization, from a checkout."""
    try:
        dataset, bug = resolve_bug(review.bug, DatasetOptions(options.get("quixbugs_root"), options.get("test_cmd")))
    except RepairError as exc:
        review.notes.append(f"the bug could not be resolved: {exc}")
        return
    review.description, review.language = bug.description, bug.language
    review.failing_tests = review.failing_tests or list(bug.failing_tests)
    review.ground_truth_patch = bug.fix_patch or ""
    need_fl = localize and not review.fault_localization
    if not (bug.fix_patch and review.patch) and not need_fl:
        return
    workspace = make_workspace()
    try:
        dataset.checkout(bug, workspace)

        def read(path: str) -> str | None:
            return workspace.read_file(path) if workspace.exists(path) else None

        if bug.fix_patch and review.patch:
            review.ground_truth = ground_truth_match(review.patch, bug.fix_patch, read)
        if need_fl:
            localizer = FaultLocalizer(mutants=TemplateMutants())
            suspects = [s.to_dict() for s in localizer.localize(bug, workspace)[:FL_TOP]]
            (run_dir / FL_FILE).write_text(json.dumps(suspects, indent=1))
            review.fault_localization = [_suspect(s) for s in suspects]
    except RepairError as exc:
        review.notes.append(f"checking the bug out for the review failed: {exc}")
    finally:
        workspace.close()
