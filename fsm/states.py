"""RepairAgent's states, the tools each state allows, and the tools that move between states."""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    UNDERSTAND = "understand"
    COLLECT = "collect"
    TRY_FIX = "try_fix"
    DONE = "done"


# Tools that only look at the code or the tests; RepairAgent lets the agent gather information
# with them while it understands the bug and while it collects information for a fix.
READ_ONLY_TOOLS: tuple[str, ...] = (
    "read_range", "get_classes_and_methods", "extract_method", "extract_tests", "search_code_base",
    "find_similar_api_calls", "run_tests", "run_fault_localization",
)

ALLOWED_TOOLS: dict[State, tuple[str, ...]] = {
    State.UNDERSTAND: (*READ_ONLY_TOOLS, "express_hypothesis"),
    State.COLLECT: (*READ_ONLY_TOOLS, "generate_method_body", "write_fix", "discard_hypothesis"),
    State.TRY_FIX: ("write_fix", "read_range", "run_tests", "generate_method_body", "collect_more_information",
                    "discard_hypothesis", "goal_accomplished"),
    State.DONE: (),
}

# (from, tool) -> to; a tool that is not listed leaves the state as it is. `None` as `from` means any state.
TRANSITIONS: dict[tuple[State | None, str], State] = {
    (State.UNDERSTAND, "express_hypothesis"): State.COLLECT,
    (State.COLLECT, "write_fix"): State.TRY_FIX,
    (State.TRY_FIX, "collect_more_information"): State.COLLECT,
    (State.COLLECT, "discard_hypothesis"): State.UNDERSTAND,
    (State.TRY_FIX, "discard_hypothesis"): State.UNDERSTAND,
    (None, "goal_accomplished"): State.DONE,
}

# What the agent should be doing in each state; shown in the dynamic prompt.
STATE_GOALS: dict[State, str] = {
    State.UNDERSTAND: ("Understand the bug: localize the fault and read the failing tests and the suspicious "
                       "code, then state a hypothesis about the cause with express_hypothesis."),
    State.COLLECT: ("Collect the information you need to fix the bug under your hypothesis (search the code "
                    "base, read methods, look at similar calls), then try a fix with write_fix. If the "
                    "hypothesis looks wrong, discard it."),
    State.TRY_FIX: ("A fix was tried. If it is plausible, call goal_accomplished. Otherwise refine it with "
                    "write_fix, gather more information with collect_more_information, or discard the "
                    "hypothesis."),
    State.DONE: "The goal is accomplished.",
}
