"""Errors the user can act on. The CLI prints each as one line and exits non-zero."""


class RepairError(Exception):
    """Base class of every error that is the user's to fix (bad input, missing tools)."""


class UnknownBugError(RepairError):
    """A bug id that no dataset knows."""


class DatasetUnavailableError(RepairError):
    """A dataset whose checkout or framework is not installed here."""


class ToolchainMissingError(RepairError):
    """javac, java, JUnit or another external tool is not available."""


class TestCommandError(RepairError):
    """A test command that cannot start (its program is not found or cannot be executed)."""

    __test__ = False  # not a pytest test class, whatever its name


class PatchError(RepairError):
    """A patch that cannot be parsed or applied."""


class PatchRefusedError(PatchError):
    """A patch that touches a path outside the repository, or a test file."""


class WorkspaceError(RepairError):
    """A workspace that cannot be created or used."""


class FaultLocalizationError(RepairError):
    """Fault localization that cannot run as asked (unknown formula, no ground truth for perfect FL)."""
