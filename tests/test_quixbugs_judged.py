"""The verdicts on QuixBugs patches judged by hand, as the offline benchmark reads them by default."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "offline_quixbugs.py"


def load_benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("offline_quixbugs", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_verdicts_are_well_formed_and_read_by_default() -> None:
    bench = load_benchmark()
    path = Path(bench.DEFAULT_JUDGED)
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    assert lines and all(set(j) == {"bug", "patch_key", "verdict", "why"} for j in lines)
    assert all(j["verdict"] in ("correct", "incorrect") and j["why"] for j in lines)
    assert all(j["bug"].startswith(("quixbugs-java:", "quixbugs-python:")) and len(j["patch_key"]) == 12
               for j in lines)
    judged = bench.load_judged(str(path))
    assert len(judged) == len(lines)  # one verdict per (bug, patch)


def test_a_verdict_counts_for_its_very_patch_only(tmp_path: Path) -> None:
    bench = load_benchmark()
    patch = "--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-    return a\n+    return b\n"
    key = bench.patch_key(patch)
    listed = tmp_path / "judged.json"  # the older form, a JSON list, is read too
    listed.write_text(json.dumps([{"bug": "quixbugs-python:x", "patch_key": key, "verdict": "incorrect",
                                   "why": "w"}]))
    judged = bench.load_judged(str(listed))
    row = {"bug": "quixbugs-python:x", "status": "plausible", "match": "differs", "patch": patch}
    assert bench.verdict(row, judged) == "incorrect"
    other = {**row, "patch": patch.replace("return b", "return c")}
    assert bench.verdict(other, judged) == "to judge"
