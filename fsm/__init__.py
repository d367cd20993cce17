"""RepairAgent's finite-state machine: states, allowed tools per state, transitions."""

from repair.fsm.machine import StateMachine, Transition
from repair.fsm.states import ALLOWED_TOOLS, READ_ONLY_TOOLS, STATE_GOALS, TRANSITIONS, State

__all__ = ["ALLOWED_TOOLS", "READ_ONLY_TOOLS", "STATE_GOALS", "TRANSITIONS", "State", "StateMachine", "Transition"]
