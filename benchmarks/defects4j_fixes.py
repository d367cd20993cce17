"""What the Java benchmarks need from a Defects4J bug's human fix: the diff and the lines it changes.

Benchmarks only: the product never reads a benchmark's fix.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from repair.checkout import CheckedOutBug
from repair.datasets.bug import Location
from repair.offline.search import candidates_at


def framework_dir() -> Path:
    d4j = shutil.which("defects4j")
    if d4j is None:
        sys.exit("defects4j is not on PATH (see the docstring)")
    return Path(d4j).resolve().parent.parent


def human_fix(checked: CheckedOutBug) -> str:
    """The human fix as a diff against the buggy checkout (Defects4J stores it reversed)."""
    project, number = checked.bug.meta["project"], checked.bug.meta["bug_number"]
    reverse = framework_dir() / "projects" / project / "patches" / f"{number}.src.patch"
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["cp", "-r", f"{checked.workspace.path}/.", tmp], check=True)
        subprocess.run(["git", "apply", "-R", str(reverse)], cwd=tmp, check=True)
        return subprocess.run(["git", "diff"], cwd=tmp, capture_output=True, text=True, check=True).stdout


def changed_lines(diff: str) -> list[Location]:
    """The lines of the buggy file the fix removes or changes, and where it inserts, in order."""
    found: list[Location] = []
    file, line = "", 0
    for text in diff.splitlines():
        if text.startswith("--- a/"):
            file = text[6:]
        elif text.startswith("+++"):
            continue
        elif match := re.match(r"@@ -(\d+)", text):
            line = int(match.group(1))
        elif text[:1] in ("-", "+") and Location(file, line) not in found:
            found.append(Location(file, line))
        if text[:1] in (" ", "-"):
            line += 1
    return found


def template_candidates(checked: CheckedOutBug, fix: str, count: int) -> list[str]:
    """Up to `count` template candidates at the lines the human fix changes."""
    out: list[str] = []
    for where in changed_lines(fix):
        out.extend(c.diff() for c in candidates_at(checked.workspace, where))
    return out[:count]
