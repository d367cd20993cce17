"""RepairAgent's state machine: transitions, allowed tools, refusals."""

from __future__ import annotations

from repair.fsm import ALLOWED_TOOLS, State, StateMachine
from repair.tools import all_tools


def test_repairagent_transitions() -> None:
    fsm = StateMachine()
    assert fsm.state is State.UNDERSTAND
    for tool, expected in [("express_hypothesis", State.COLLECT), ("write_fix", State.TRY_FIX),
                           ("collect_more_information", State.COLLECT), ("discard_hypothesis", State.UNDERSTAND),
                           ("express_hypothesis", State.COLLECT), ("write_fix", State.TRY_FIX),
                           ("write_fix", State.TRY_FIX), ("goal_accomplished", State.DONE)]:
        fsm.advance(tool)
        assert fsm.state is expected, tool
    assert [(t.before, t.after) for t in fsm.history][-1] == (State.TRY_FIX, State.DONE)
    assert len(fsm.history) == 7  # the second write_fix in try_fix moves nowhere
    assert fsm.done and fsm.allowed() == ()


def test_try_fix_can_discard_the_hypothesis() -> None:
    fsm = StateMachine(State.TRY_FIX)
    move = fsm.advance("discard_hypothesis", cycle=5)
    assert move is not None and move.cycle == 5 and fsm.state is State.UNDERSTAND


def test_read_only_tools_do_not_move_the_state() -> None:
    fsm = StateMachine()
    assert fsm.advance("read_range") is None and fsm.state is State.UNDERSTAND


def test_disallowed_tool_gets_an_error_listing_the_allowed_ones() -> None:
    fsm = StateMachine()
    assert not fsm.is_allowed("write_fix")
    text = fsm.refusal("write_fix")
    assert "not allowed in state 'understand'" in text
    assert all(name in text for name in ALLOWED_TOOLS[State.UNDERSTAND])


def test_every_tool_is_allowed_somewhere_and_every_allowed_tool_exists() -> None:
    tools = set(all_tools())
    assert len(tools) == 14
    allowed = {name for names in ALLOWED_TOOLS.values() for name in names}
    assert allowed == tools
    assert "goal_accomplished" in ALLOWED_TOOLS[State.TRY_FIX]
    assert "write_fix" not in ALLOWED_TOOLS[State.UNDERSTAND]
