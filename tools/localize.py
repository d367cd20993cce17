"""run_fault_localization: spectra, mutants, stack traces and statement kinds combined (repair.fault_localization),
lines and methods; perfect FL on request."""

from __future__ import annotations

from typing import Any

from repair.fast_validation import FastPatchValidator
from repair.fault_localization import COMBINED, FaultLocalizer, Suspicious, rank_methods
from repair.tools.base import ToolContext, ToolResult, bounded, schema

TOP_N = 10  # lines shown to the model
TOP_METHODS = 5  # methods shown to the model


def localize(ctx: ToolContext, perfect: bool = False, use_coverage: bool = True,
             notes: list[str] | None = None) -> list[Suspicious] | None:
    """The FL package's ranking, or None when it fails (the run goes on without it); what FL noted
    (coverage used or not, and why) is added to `notes`."""
    localizer = FaultLocalizer(formula=ctx.options.fl_formula, perfect=perfect, use_coverage=use_coverage,
                               mutants=ctx.mutants)
    try:
        ranked = localizer.localize(ctx.bug, ctx.workspace, runner=ctx.runner, baseline=ctx.baseline)
        if localizer.matrix is not None:  # what each test executed decides which wider tests a patch reaches
            ctx.validator.scope.learn_coverage({t.test_id: {file for file, _ in t.lines}
                                                for t in localizer.matrix.tests.values()})
            if isinstance(ctx.validator, FastPatchValidator):
                # Validation runs the tests that execute a candidate's lines right after the failing ones.
                ctx.validator.use_coverage({t.test_id: t.lines for t in localizer.matrix.tests.values()})
        return ranked
    except Exception as exc:  # noqa: BLE001 - coverage FL failing (no JaCoCo, a crash) must not end the run
        localizer.notes.append(f"fault localization failed: {exc}")
        return None
    finally:
        if notes is not None:
            notes.extend(n for n in localizer.notes if n not in notes)


class RunFaultLocalization:
    name = "run_fault_localization"
    description = "Rank the lines most likely to contain the bug (file, line, method, suspiciousness)."
    parameters = schema({})

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        suspects: list[Suspicious] | None = None
        notes: list[str] = []
        formula = ctx.options.fl_formula
        source = ("spectra, mutants, stack traces and statement kinds combined" if formula == COMBINED
                  else f"{formula} + stack traces")
        if ctx.options.perfect_fl and ctx.bug.buggy_locations:
            suspects, source = localize(ctx, perfect=True, notes=notes), "ground truth"
        if suspects is None:
            suspects = localize(ctx, notes=notes)
        if not suspects:  # coverage could not be collected: the stack traces alone may still point somewhere
            suspects, source = localize(ctx, use_coverage=False, notes=notes), "stack traces"
        if not suspects:
            files = ", ".join(ctx.bug.program_files) or "(unknown)"
            return ToolResult(f"fault localization found no suspicious line ({'; '.join(notes) or 'no signal'}); "
                              f"the program under test is {files}: read its code and the failing tests "
                              "(extract_tests)")
        top = suspects[:TOP_N]
        ctx.memory.suspects = suspects  # the whole ranking: a search may walk below what the model is shown
        rows = [f"{i}. {s.file}:{s.line} in {s.method or '?'} (score {s.score:.3f}{_evidence(s)})"
                for i, s in enumerate(top, start=1)]
        methods = rank_methods(suspects)[:TOP_METHODS]
        method_rows = [f"{i}. {m.label()} (best line {m.line}, {m.lines} suspicious lines)"
                       for i, m in enumerate(methods, start=1)]
        text = (f"suspicious lines ({source}), most suspicious first:\n" + "\n".join(rows)
                + "\nsuspicious methods, by their best line:\n" + "\n".join(method_rows))
        return ToolResult(bounded(text, ctx.options.max_output_chars),
                          data={"suspects": [s.to_dict() for s in top], "methods": [m.to_dict() for m in methods]})


def _evidence(suspect: Suspicious) -> str:
    """What singled the line out, in a few words for the model: mutants of it that made failing tests
    pass, a stack-trace frame."""
    said = []
    if suspect.signals.get("fixes", 0.0) > 0:
        said.append(f"a mutant here makes {suspect.signals['fixes']:.0%} of the failing tests pass")
    if suspect.signals.get("stack", 0.0) > 0:
        said.append("in a failing test's stack trace")
    return "; " + "; ".join(said) if said else ""
