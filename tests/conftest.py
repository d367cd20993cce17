"""Shared fixtures: demo bugs checked out into real git workspaces."""

from __future__ import annotations

from collections.abc import Callable, Iterator
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
