"""The run's warm workers: candidates as texts, isolation between candidates, batch compilation, coverage.

Real javac/JUnit in the warm JVM and real pytest in the warm worker, on tiny real repositories.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from repair.containers.local import LocalWorkspace
from repair.datasets.bug import Bug
from repair.fast_validation import FastPatchValidator, room_for_a_second_worker
from repair.runners.base import TestSetup
from repair.runners.fast_java import FastJavaRunner, coverage_entries
from repair.runners.fast_python import FastPythonRunner
from repair.runners.worker_process import written

COUNTER = """package p;

public class Counter {
    public static final int FIRST = 1;

    public static int next() {
        Registry.hits = Registry.hits + 1;
        return Registry.hits;
    }
}
"""
REGISTRY = """package p;

public class Registry {
    public static int hits = 0;
}
"""
COUNTER_TEST = """package p;

import org.junit.Assert;
import org.junit.Test;

public class CounterTest {
    @Test
    public void firstCallIsFirst() {
        Assert.assertEquals(Counter.FIRST, Counter.next());
    }
}
"""
LITERAL_TEST = """package p;

import org.junit.Assert;
import org.junit.Test;

public class LiteralTest {
    static final Class<?> TYPE = Counter.class;

    @Test
    public void namesTheClass() {
        Assert.assertEquals("Counter", TYPE.getSimpleName());
    }
}
"""
JAVA_SETUP = TestSetup("junit4", test_classes=("p.CounterTest",),
                       compile_files=("p/CounterTest.java", "p/Counter.java"), per_test_timeout=10.0)


@pytest.fixture
def java_repo(tmp_path: Path) -> Iterator[LocalWorkspace]:
    src = tmp_path / "src"
    for name, text in {"Counter": COUNTER, "Registry": REGISTRY, "CounterTest": COUNTER_TEST}.items():
        (src / "p").mkdir(parents=True, exist_ok=True)
        (src / "p" / f"{name}.java").write_text(text)
    with LocalWorkspace.create(source=src) as ws:
        yield ws


def test_a_java_candidate_that_mutates_a_static_field_leaks_nothing_into_the_next(java_repo: LocalWorkspace) -> None:
    runner = FastJavaRunner(java_repo, JAVA_SETUP)
    try:
        assert runner.run().passing == ["p.CounterTest::firstCallIsFirst"]
        # A candidate that bumps the static field of another class (compiled once, in the base) by 41.
        bumped = COUNTER.replace("Registry.hits + 1", "Registry.hits + 41")
        assert runner.run_patched({"p/Counter.java": bumped}).failing == ["p.CounterTest::firstCallIsFirst"]
        # Each candidate runs in a fresh class loader: the unchanged code, and the same candidate run three
        # times, always find `hits` at 0 again.
        same = COUNTER.replace("public static int next", "// unchanged behaviour\n    public static int next")
        for files in ({}, {"p/Counter.java": same}, {"p/Counter.java": same}, {"p/Counter.java": same}):
            assert runner.run_patched(files).passing == ["p.CounterTest::firstCallIsFirst"], files
        assert java_repo.read_file("p/Counter.java") == COUNTER  # the texts never reached the checkout
        assert runner.fast_runs == 6 and not runner.fallbacks
        assert runner.compiles == {"base": 2, "alone": 2, "cached": 2}
    finally:
        runner.close()


def test_java_candidates_compile_together_and_a_changed_constant_recompiles_its_users(
        java_repo: LocalWorkspace) -> None:
    runner = FastJavaRunner(java_repo, JAVA_SETUP)
    try:
        runner.run()
        right = COUNTER.replace("+ 1;", "+ 1; // right")
        wrong = COUNTER.replace("+ 1;", "+ 2;")
        broken = COUNTER.replace("+ 1;", "+ undefinedName;")
        runner.precompile([{"p/Counter.java": text} for text in (right, wrong, broken)])
        assert runner.compiles.get("precompiled batched") == 2 and runner.compiles.get("precompiled alone") == 1
        assert runner.run_patched({"p/Counter.java": right}).passing
        assert runner.run_patched({"p/Counter.java": wrong}).failing
        failed = runner.run_patched({"p/Counter.java": broken})
        # Compiled alone under its own name: the message names the file and the symbol, not a batch alias.
        assert not failed.build_ok and "undefinedName" in failed.build_output and "__rc" not in failed.build_output
        assert runner.compiles.get("cached") == 3
        # FIRST is a constant javac copies into the test class: changing it must recompile the test as well.
        shifted = COUNTER.replace("FIRST = 1", "FIRST = 2").replace("+ 1;", "+ 2;")
        assert runner.run_patched({"p/Counter.java": shifted}).passing
        assert runner.compiles.get("full") == 1
    finally:
        runner.close()


def test_java_coverage_comes_from_the_warm_worker(java_repo: LocalWorkspace) -> None:
    if not coverage_entries():
        pytest.skip("JaCoCo's jars are not installed here (.ci/run installs them)")
    runner = FastJavaRunner(java_repo, JAVA_SETUP)
    try:
        report = runner.run_covered(cover=["p/Counter.java", "p/Registry.java"])
        assert report.passing == ["p.CounterTest::firstCallIsFirst"]
        # JaCoCo names files by package; Registry's static initializer ran too.
        lines = {"p/Counter.java": [7, 8], "p/Registry.java": [4]}
        assert report.coverage == {"p.CounterTest::firstCallIsFirst": lines}
    finally:
        runner.close()
    # A test that defines an instrumented class (a class literal) without running any of its code: JaCoCo's
    # runtime has not started yet, and that test simply covers nothing.
    java_repo.write_file("p/LiteralTest.java", LITERAL_TEST)
    setup = replace(JAVA_SETUP, test_classes=("p.LiteralTest",), compile_files=("p/LiteralTest.java",))
    runner = FastJavaRunner(java_repo, setup)
    try:
        report = runner.run_covered(cover=["p/Counter.java"])
        assert report.passing == ["p.LiteralTest::namesTheClass"] and not runner.fallbacks
        assert report.coverage == {"p.LiteralTest::namesTheClass": {}}
    finally:
        runner.close()


COUNTER_PY = """CALLS = 0


def next_call():
    global CALLS
    CALLS += 1
    return CALLS
"""
COUNTER_PY_TEST = """from prog.counter import next_call


def test_first_call_is_first():
    assert next_call() == 1
"""
PY_SETUP = TestSetup("pytest", test_files=("tests/test_counter.py",), per_test_timeout=10.0)
PY_BUG = Bug(id="local:counter", dataset="local", language="python", test_setup=PY_SETUP,
             failing_tests=["tests/test_counter.py::test_first_call_is_first"])


@pytest.fixture
def python_repo(tmp_path: Path) -> Iterator[LocalWorkspace]:
    src = tmp_path / "src"
    (src / "prog").mkdir(parents=True)
    (src / "tests").mkdir()
    (src / "prog" / "__init__.py").write_text("")
    (src / "prog" / "counter.py").write_text(COUNTER_PY)
    (src / "tests" / "test_counter.py").write_text(COUNTER_PY_TEST)
    with LocalWorkspace.create(source=src) as ws:
        yield ws


def test_a_python_candidate_that_mutates_a_module_global_leaks_nothing_into_the_next(
        python_repo: LocalWorkspace) -> None:
    runner = FastPythonRunner(python_repo, PY_SETUP)
    test = "tests/test_counter.py::test_first_call_is_first"
    try:
        assert runner.run().passing == [test]
        bumped = COUNTER_PY.replace("CALLS += 1", "CALLS += 41")
        assert runner.run_patched({"prog/counter.py": bumped}).failing == [test]
        # Every run is a fresh fork of the warm session: the global is 0 again each time, and the test's
        # `from prog.counter import next_call` sees each candidate's function.
        same = COUNTER_PY.replace("CALLS += 1", "CALLS += 1  # unchanged behaviour")
        for files in ({}, {"prog/counter.py": same}, {"prog/counter.py": same}, {"prog/counter.py": same}):
            assert runner.run_patched(files).passing == [test], files
        assert python_repo.read_file("prog/counter.py") == COUNTER_PY
        assert runner.warm_runs == 6 and not runner.fallbacks
    finally:
        runner.close()


def test_python_candidates_the_warm_session_cannot_take_run_from_disk(python_repo: LocalWorkspace) -> None:
    runner = FastPythonRunner(python_repo, PY_SETUP)
    test = "tests/test_counter.py::test_first_call_is_first"
    try:
        runner.run()
        # A syntax error: pytest's own collection error, as a plain run reports it (from the files on disk).
        broken = runner.run_patched({"prog/counter.py": COUNTER_PY + "def oops(:\n"})
        assert test not in broken.passing and any("SyntaxError" in r.message for r in broken.results.values())
        # A function the test imports, gone: the test module fails to import, as it would in a plain run.
        gone = runner.run_patched({"prog/counter.py": COUNTER_PY.replace("def next_call", "def renamed")})
        assert test not in gone.passing
        assert python_repo.read_file("prog/counter.py") == COUNTER_PY
        assert runner.run().passing == [test]  # and the warm session is as it was
    finally:
        runner.close()


def test_python_coverage_comes_from_the_warm_worker(python_repo: LocalWorkspace) -> None:
    runner = FastPythonRunner(python_repo, PY_SETUP)
    try:
        report = runner.run_covered()
        covered = report.coverage["tests/test_counter.py::test_first_call_is_first"]
        assert covered[f"{python_repo.path}/prog/counter.py"] == [6, 7]
        assert runner.warm_runs == 1
    finally:
        runner.close()


def test_a_warm_run_waits_while_another_thread_has_a_candidate_written(python_repo: LocalWorkspace) -> None:
    # The warm session re-executes a module whose file changed on disk: a run on one worker must not see the
    # candidate another thread wrote into the checkout (for its wider tests, or a plain run).
    runner = FastPythonRunner(python_repo, PY_SETUP)
    test = "tests/test_counter.py::test_first_call_is_first"
    entered, release = threading.Event(), threading.Event()

    def hold_a_candidate() -> None:
        with written(python_repo, {"prog/counter.py": COUNTER_PY.replace("CALLS += 1", "CALLS += 41")}):
            entered.set()
            release.wait(30)

    try:
        assert runner.run().passing == [test]  # the warm session is up
        with ThreadPoolExecutor(max_workers=2) as threads:
            holder = threads.submit(hold_a_candidate)
            assert entered.wait(30)
            run = threads.submit(runner.run_patched, {})
            time.sleep(0.5)
            assert not run.done()  # it waits for the candidate to leave the disk
            release.set()
            holder.result()
            assert run.result().passing == [test]
    finally:
        release.set()
        runner.close()


def test_a_worker_that_dies_during_a_pair_falls_back_and_the_pair_goes_on(python_repo: LocalWorkspace) -> None:
    # The first of a pair kills the warm process that forked its test (the test's parent): that worker's run
    # falls back to the plain path, from the pair's own thread, and the other candidate's verdict stands.
    runner = FastPythonRunner(python_repo, PY_SETUP)
    validator = FastPatchValidator(python_repo, PY_BUG, runner=runner)
    killer = ("prog/counter.py\n<<<<<<< SEARCH\n    CALLS += 1\n=======\n"
              "    CALLS += 2\n    import os, signal\n    os.kill(os.getppid(), signal.SIGKILL)\n>>>>>>> REPLACE\n")
    same = "prog/counter.py\n<<<<<<< SEARCH\n    CALLS += 1\n=======\n    CALLS = CALLS + 1\n>>>>>>> REPLACE\n"
    try:
        verdicts = [r.status for r in validator.validate_many([killer, same])]
        assert verdicts == ["not-plausible", "plausible"]
        assert runner.fallbacks  # the worker's death was seen, and the plain path judged the candidate
        assert python_repo.read_file("prog/counter.py") == COUNTER_PY
    finally:
        runner.close()


def test_two_candidates_at_once_on_two_workers_give_the_one_by_one_verdicts(python_repo: LocalWorkspace) -> None:
    runner = FastPythonRunner(python_repo, PY_SETUP)
    validator = FastPatchValidator(python_repo, PY_BUG, runner=runner)
    try:
        patches = [f"prog/counter.py\n<<<<<<< SEARCH\n    CALLS += 1\n=======\n    CALLS += {n}\n>>>>>>> REPLACE\n"
                   for n in (2, 1, 3, 1)]
        verdicts = [r.status for r in validator.validate_many(patches[:2])]
        assert verdicts == ["not-plausible", "plausible"]
        # The second of a pair was judged ahead of its turn: its turn takes that verdict as new, once.
        turn = validator.validate(patches[1])
        assert turn.plausible and not turn.cached
        assert validator.validate(patches[1]).cached
        verdicts = [r.status for r in validator.validate_many(patches[2:])]
        assert verdicts == ["not-plausible", "plausible"]
        twin = validator._twin
        if room_for_a_second_worker():  # the second candidate of each pair ran on a worker of its own
            assert isinstance(twin, FastPythonRunner) and twin.warm_runs >= 1 and twin._worker is not None
            assert twin._worker.alive
        assert python_repo.read_file("prog/counter.py") == COUNTER_PY
    finally:
        runner.close()
    assert twin is None or twin._worker is None or not twin._worker.alive  # closing the run's runner stops both
