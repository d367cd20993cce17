"""`StateMachine`: the agent's current state, what it allows, and the history of its transitions."""

from __future__ import annotations

from dataclasses import dataclass, field

from repair.fsm.states import ALLOWED_TOOLS, STATE_GOALS, TRANSITIONS, State


@dataclass(frozen=True)
class Transition:
    """One move between states, caused by a tool at an agent cycle."""

    cycle: int
    tool: str
    before: State
    after: State


@dataclass
class StateMachine:
    """RepairAgent's FSM. Tools move it only when they succeed (see `advance`)."""

    state: State = State.UNDERSTAND
    history: list[Transition] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.state is State.DONE

    def allowed(self) -> tuple[str, ...]:
        """The tools the current state allows, in a stable order."""
        return ALLOWED_TOOLS[self.state]

    def is_allowed(self, tool: str) -> bool:
        return tool in ALLOWED_TOOLS[self.state]

    def goal(self) -> str:
        return STATE_GOALS[self.state]

    def refusal(self, tool: str) -> str:
        """The error text for a tool the current state does not allow; it lists what is allowed."""
        return (f"error: the tool '{tool}' is not allowed in state '{self.state}'. "
                f"Allowed tools now: {', '.join(self.allowed()) or '(none)'}.")

    def target(self, tool: str) -> State:
        """The state `tool` would move to from the current state (the same state when it moves nowhere)."""
        return TRANSITIONS.get((self.state, tool)) or TRANSITIONS.get((None, tool)) or self.state

    def advance(self, tool: str, cycle: int = 0) -> Transition | None:
        """Apply the transition of a tool that ran successfully; None when the state does not change."""
        after = self.target(tool)
        if after == self.state:
            return None
        move = Transition(cycle, tool, self.state, after)
        self.history.append(move)
        self.state = after
        return move
