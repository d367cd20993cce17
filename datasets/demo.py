"""The demo bugs shipped inside the package: small Java and Python programs in QuixBugs' layout."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from repair.containers.workspace import Workspace
from repair.datasets.bug import Bug, Location
from repair.datasets.quixbugs import QuixBugsLayout
from repair.errors import UnknownBugError

DEMO_ROOT = Path(__file__).resolve().parent / "demo_bugs"


class DemoDataset:
    """`demo:<NAME>`: known faults with ground-truth fixes, failing tests and buggy lines."""

    name = "demo"

    def __init__(self, root: Path = DEMO_ROOT) -> None:
        self.root = root
        self._meta: dict[str, dict[str, Any]] = {
            entry["name"]: entry for entry in json.loads((root / "bugs.json").read_text())
        }

    def _layout(self, language: str) -> QuixBugsLayout:
        return QuixBugsLayout(self.root, self.name, language, per_test_timeout=3.0)

    def list_bugs(self) -> list[Bug]:
        return [self.get(name) for name in self._meta]

    def get(self, bug_id: str) -> Bug:
        name = bug_id.split(":", 1)[-1]
        if name not in self._meta:
            matches = [n for n in self._meta if n.lower() == name.lower()]
            if len(matches) != 1:
                raise UnknownBugError(
                    f"unknown bug id 'demo:{name}': known demo bugs are {', '.join(sorted(self._meta))}"
                )
            name = matches[0]
        meta = self._meta[name]
        bug = self._layout(meta["language"]).bug(name)
        bug.failing_tests = list(meta.get("failing_tests", []))
        bug.fix_patch = (self.root / meta["fix"]).read_text()
        bug.buggy_locations = [Location(loc["file"], int(loc["line"])) for loc in meta.get("buggy_locations", [])]
        bug.description = meta.get("description", "")
        bug.meta.update(fault_kind=meta.get("fault_kind", ""), hanging_tests=meta.get("hanging_tests", []))
        return bug

    def checkout(self, bug: Bug, workspace: Workspace) -> None:
        # The bug's own files only: the ground-truth fixes and bugs.json stay out of the workspace.
        self._layout(bug.language).checkout(bug, workspace)
