"""Stack-trace fault localization: the project's own frames in failing tests' traces, weighted by depth."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

# `at java_programs.GCD_LOOP.gcd(GCD_LOOP.java:8)`, also with a loader/module prefix (`at app//java_programs...`)
_JAVA_FRAME = re.compile(r"at\s+(?:[\w.$@-]*/)*([\w$.]+)\.([\w$<>]+)\(([\w$]+\.java):(\d+)\)")
# `File "/x/python_programs/digit_sum.py", line 8, in digit_sum` (CPython)
_PY_FILE_FRAME = re.compile(r'File "([^"]+\.py)", line (\d+)')
# `python_programs/digit_sum.py:8: in digit_sum` / `...py:8: AssertionError` (pytest's long format)
_PY_SHORT_FRAME = re.compile(r"^\s*([^\s:\"']+\.py):(\d+):", re.M)


@dataclass(frozen=True)
class Frame:
    """A source position in a trace, as written there (path not yet resolved)."""

    path: str
    line: int


def parse_frames(trace: str) -> list[Frame]:
    """The frames of a Java or Python trace, innermost first (Java prints them so; Python reversed)."""
    java = [
        Frame("/".join([*cls.split(".")[:-1], filename]), int(line))
        for cls, _method, filename, line in _JAVA_FRAME.findall(trace)
    ]
    if java:
        return java
    python: list[tuple[int, Frame]] = []
    for rx in (_PY_FILE_FRAME, _PY_SHORT_FRAME):
        python.extend((m.start(), Frame(m.group(1), int(m.group(2)))) for m in rx.finditer(trace))
    python.sort(key=lambda item: item[0])
    return [frame for _pos, frame in reversed(python)]


def stack_scores(traces: Iterable[str], resolve: Callable[[str], str | None]) -> dict[tuple[str, int], float]:
    """Per (file, line): the mean over failing traces of 1/(1+depth), depth counted among project frames.

    `resolve` maps a trace path to a ranked (non-test, in-checkout) file, or None to skip the frame;
    the innermost project frame has depth 0. Recursion repeats a frame; only its shallowest depth counts.
    """
    totals: dict[tuple[str, int], float] = {}
    n_traces = 0
    for trace in traces:
        if not trace.strip():
            continue
        n_traces += 1
        best: dict[tuple[str, int], float] = {}
        depth = 0
        for frame in parse_frames(trace):
            file = resolve(frame.path)
            if file is None:
                continue
            key = (file, frame.line)
            if key not in best:
                best[key] = 1.0 / (1 + depth)
                depth += 1
        for key, weight in best.items():
            totals[key] = totals.get(key, 0.0) + weight
    return {key: total / n_traces for key, total in totals.items()} if n_traces else {}
