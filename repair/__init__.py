"""repair: an autonomous program-repair agent (RepairAgent's FSM + FixAgent's escalation)."""

__version__ = "0.1.0"
