"""Shared fixtures: demo bugs checked out into real git workspaces, and the real benchmark data."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from repair.checkout import CheckedOutBug


@pytest.fixture
def demo_checkout() -> Iterator[Callable[[str], CheckedOutBug]]:
    """A factory: `demo_checkout("demo:is_sorted")` checks the bug out; every checkout is closed afterwards."""
    from repair.checkout import check_out

    opened: list[CheckedOutBug] = []

    def make(bug_id: str) -> CheckedOutBug:
        checked = check_out(bug_id)
        opened.append(checked)
        return checked

    yield make
    for checked in opened:
        checked.close()


def benchmarks_dir() -> Path:
    """The real benchmark data (`REPAIR_BENCHMARKS_DIR`, by default `<repo>/../shared/benchmarks`)."""
    default = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks"
    return Path(os.environ.get("REPAIR_BENCHMARKS_DIR", default))


@pytest.fixture(scope="session")
def quixbugs_tarball() -> Path:
    """QuixBugs' real data: the tarball of all 80 programs; the test is skipped, saying why, without it."""
    tarball = benchmarks_dir() / "quixbugs.tar.gz"
    if not tarball.is_file():
        pytest.skip(f"the QuixBugs data is missing: no {tarball} (set REPAIR_BENCHMARKS_DIR to the folder "
                    "that holds quixbugs.tar.gz)")
    return tarball


@pytest.fixture(scope="session")
def quixbugs_root(quixbugs_tarball: Path) -> Path:
    """The extracted QuixBugs root (extracted once into the cache)."""
    from repair.datasets.quixbugs import locate_quixbugs

    return locate_quixbugs(quixbugs_tarball)
