"""Workspace backends: where a bug is checked out and every command runs."""

from repair.containers.local import LocalWorkspace
from repair.containers.process import CommandResult, run_process
from repair.containers.workspace import SCRATCH_DIR, ContainerWorkspace, HostWorkspace, Workspace, adopt_checkout

__all__ = ["SCRATCH_DIR", "CommandResult", "ContainerWorkspace", "HostWorkspace", "LocalWorkspace", "Workspace",
           "adopt_checkout", "run_process"]
