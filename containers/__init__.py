"""Workspace backends: where a bug is checked out and every command runs."""

from repair.containers.local import LocalWorkspace
from repair.containers.process import CommandResult, run_process
from repair.containers.workspace import SCRATCH_DIR, Workspace

__all__ = ["SCRATCH_DIR", "CommandResult", "LocalWorkspace", "Workspace", "run_process"]
