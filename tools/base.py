"""What every tool shares: its result, its protocol, and the context it runs in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from repair.containers.workspace import Workspace
from repair.datasets.bug import Bug
from repair.fault_localization import COMBINED, MutantSource, Suspicious
from repair.fsm import StateMachine
from repair.models.base import Model
from repair.models.budget import RunBudget
from repair.runners import TestReport, TestRunner
from repair.validation import PatchValidator, ValidationResult

MAX_OUTPUT_CHARS = 6000


@dataclass
class ToolResult:
    """Text written for the model. `ok=False` is an error; `malformed` marks a call the model got wrong
    (bad arguments, a patch that does not apply), which counts towards the malformed-reply limit."""

    text: str
    ok: bool = True
    malformed: bool = False
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def error(cls, text: str, malformed: bool = True) -> ToolResult:
        return cls(text if text.startswith("error") else f"error: {text}", ok=False, malformed=malformed)


@dataclass
class FixAttempt:
    """One patch the agent tried, the validator's verdict, and the cycle that tried it (`by`: which of
    FixAgent's agents, whose cycles are the trajectory's steps)."""

    diff: str
    status: str
    summary: str
    cycle: int = 0
    by: str = ""
    scope: list[str] = field(default_factory=list)  # the test sets the verdict covers, one line each

    def when(self) -> str:
        return f"cycle {self.cycle}" + (f" ({self.by})" if self.by else "")


@dataclass
class Memory:
    """What the agent has learned so far: hypotheses, fixes tried, and the plausible patch if any."""

    hypothesis: str | None = None
    discarded: list[str] = field(default_factory=list)
    attempts: list[FixAttempt] = field(default_factory=list)
    plausible: ValidationResult | None = None
    suspects: list[Suspicious] = field(default_factory=list)  # fault localization's ranking, best first
    # What earlier stages (FixAgent's L1-L3) found, handed to the FSM agent; pinned in every prompt
    # under its own budget so that the agent's own results never push it out.
    handover: list[str] = field(default_factory=list)
    # Candidates a model judged itself before submitting one (the offline engine's search: dropped,
    # failed to compile, tested, plausible); the agent moves them into the trajectory step of the cycle.
    search_log: list[dict[str, Any]] = field(default_factory=list)

    def tried(self, diff: str) -> FixAttempt | None:
        """The earlier attempt that made exactly this change, if any."""
        return next((a for a in self.attempts if diff and a.diff == diff), None)

    @property
    def suspicious(self) -> list[str]:
        """The suspects as the prompt shows them: `file:line (method)`."""
        return [s.label() for s in self.suspects]


@dataclass
class ToolOptions:
    """Knobs of the tools that come from the command line."""

    perfect_fl: bool = False
    fl_formula: str = COMBINED
    max_output_chars: int = MAX_OUTPUT_CHARS
    test_timeout: float = 300.0


@dataclass
class ToolContext:
    """Everything a tool may use. The agent builds one per run; the offline engine reads the same one."""

    bug: Bug
    workspace: Workspace
    validator: PatchValidator
    runner: TestRunner
    fsm: StateMachine = field(default_factory=StateMachine)
    memory: Memory = field(default_factory=Memory)
    model: Model | None = None  # for generate_method_body
    options: ToolOptions = field(default_factory=ToolOptions)
    baseline: TestReport | None = None  # the buggy version's full test report, when known
    # The run's one budget: every model call of every level and tool is asked of it and paid from it.
    budget: RunBudget = field(default_factory=RunBudget)
    cycle: int = 0  # the agent's current cycle, for what the tools remember of it
    # Mutation operators for mutation-based FL (the offline engine's templates, which sit above the tools;
    # the run hands them in). Without them run_fault_localization ranks on spectra, traces and kinds.
    mutants: MutantSource | None = None

    @property
    def deadline(self) -> float | None:
        """time.monotonic() by which the run must end (--max-seconds), or None."""
        return self.budget.deadline

    def failing_report(self) -> TestReport:
        """The failing tests' report on the buggy code (run once, then kept)."""
        if self.baseline is None or not all(t in self.baseline.results for t in self.bug.failing_tests):
            self.baseline = self.runner.run(tests=self.bug.failing_tests or None)
        return self.baseline


class Tool(Protocol):
    """A command the model can call. `parameters` is the JSON schema of `args`."""

    name: str
    description: str
    parameters: dict[str, Any]

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult: ...


def bounded(text: str, limit: int = MAX_OUTPUT_CHARS, hint: str = "") -> str:
    """`text` cut to `limit` characters, with a note that says so (and how to see more)."""
    if len(text) <= limit:
        return text
    note = f"\n... [output truncated: {len(text) - limit} more characters{'; ' + hint if hint else ''}]"
    return text[:limit] + note


def schema(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    """A JSON object schema for a tool's arguments."""
    return {"type": "object", "properties": properties, "required": required or [], "additionalProperties": False}


def resolve_path(ctx: ToolContext, file: object) -> str:
    """A workspace-relative path for `file`; a bare name or a suffix resolves when it is unique.

    Raises ValueError with a message for the model when there is no such file, or several.
    """
    if not isinstance(file, str) or not file.strip():
        raise ValueError("give 'file' as a path relative to the repository root")
    path = file.strip().removeprefix("./")
    if ctx.workspace.exists(path) and not path.startswith(("/", "..")):
        return path
    candidates = [f for f in ctx.workspace.list_files() if f == path or f.endswith("/" + path.lstrip("/"))]
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        raise ValueError(f"'{file}' matches several files: {', '.join(candidates[:8])}; give the full path")
    raise ValueError(f"no file '{file}' in the repository; program files: {', '.join(ctx.bug.program_files[:8])}")


def int_arg(args: dict[str, Any], name: str, default: int | None = None) -> int:
    """An integer argument, or ValueError with a message for the model."""
    value = args.get(name, default)
    if value is None:
        raise ValueError(f"missing integer argument '{name}'")
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"argument '{name}' must be an integer, got {value!r}") from exc


@runtime_checkable
class ContextBoundModel(Model, Protocol):
    """A model that needs more than the prompt: the offline engine reads the bug, the workspace, the memory
    and the FSM state. The agent calls `bind` once, before the first cycle, with the `ToolContext` the tools
    run in."""

    def bind(self, ctx: ToolContext) -> None: ...
