"""Nothing from the future is in reach of a workspace: no fixed program, no fix diff, no benchmark metadata.

For a bug of each dataset, the checkout is searched for the human fix's added lines, file by file, and
every read-only tool (read_range on every file, search_code_base and find_similar_api_calls with the
fix's own words, the method and test extractors, fault localization, RepoFocus) is run and its output
searched too. Before, a QuixBugs checkout held `correct_java_programs/` (search_code_base printed the
fixed line and RepoFocus ranked the fixed file first) and a GitBug-Java one held `gitbug.json` with
`bug_patch`. Defects4J (the local framework, real Cli-1) also in tests/test_defects4j.py: no history, no
facts of the fix in defects4j.build.properties.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from repair.checkout import CheckedOutBug, check_out
from repair.datasets.registry import DatasetOptions
from repair.fix_run import make_context
from repair.fixagent.repo_focus import load_sources, rank_related
from repair.runners import TestReport
from repair.tools import ToolContext, all_tools
from repair.validation import PatchValidator

TOOLS = all_tools()
GITBUG = Path(__file__).parent / "fixtures" / "gitbug"
FIXED_LINE = "    return sum(int(d) for d in str(abs(number)))  # the fixed line, from the future"


def added_lines(fix_patch: str) -> list[str]:
    """The lines the human fix adds (stripped), long enough not to occur by chance."""
    lines = [ln[1:].strip() for ln in fix_patch.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    return [ln for ln in lines if len(ln) >= 8]


def files_holding(root: Path, needles: list[str]) -> list[str]:
    """The files under `root` (git's own objects included) whose text holds one of `needles`."""
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            text = path.read_bytes().decode("utf-8", errors="replace")
            if any(needle in text for needle in needles):
                found.append(str(path.relative_to(root)))
    return found


def tool_outputs(ctx: ToolContext, needles: list[str], run_tests: bool = True) -> Iterator[tuple[str, str]]:
    """(what ran, its output) for every read-only tool, driven by the fix's own words (`run_tests`: the two
    that run the tests too)."""
    def run(name: str, **args: object) -> str:
        return TOOLS[name].run(dict(args), ctx).text

    files = ctx.workspace.list_files()
    for path in files:
        yield f"read_range {path}", run("read_range", file=path, start=1, end=100_000)
    sources = ctx.workspace.list_files((".java", ".py"))
    # Every file of a small checkout; the files the fix touches in a large one (a method listing parses a file).
    touched = {p for p in sources if p in (ctx.bug.fix_patch or "")}
    for path in sources if len(sources) <= 20 else sorted(touched):
        listing = run("get_classes_and_methods", file=path)
        yield f"get_classes_and_methods {path}", listing
        for method in set(re.findall(r"method \S*?(\w+) \(lines", listing)):
            yield f"extract_method {path} {method}", run("extract_method", file=path, method_name=method)
    words = sorted({w for needle in needles for w in re.findall(r"[A-Za-z_]\w+", needle)})
    for keywords in (words, *[[w] for w in words[:6]]):
        yield f"search_code_base {keywords}", run("search_code_base", key_words=keywords)
    for needle in needles[:4]:
        yield f"find_similar_api_calls {needle}", run("find_similar_api_calls", code_snippet=needle)
    related = rank_related(load_sources(ctx.workspace), "\n".join(needles), top=10)
    yield "repo_focus", "\n".join(ctx.workspace.read_file(r.path) for r in related)
    if run_tests:
        yield "extract_tests", run("extract_tests")
        yield "run_fault_localization", run("run_fault_localization")
    for outside in ("../correct_java_programs/GCD.java", "../correct_python_programs/gcd.py", "../gitbug.json",
                    "/etc/passwd"):
        yield f"read_range {outside}", run("read_range", file=outside, start=1, end=100)


def assert_out_of_reach(checked: CheckedOutBug, needles: list[str], run_tests: bool = True) -> None:
    assert needles, "the test needs the fix's added lines"
    assert files_holding(Path(checked.workspace.path), needles) == []
    if run_tests:
        ctx = make_context(checked)
    else:
        validator = PatchValidator(checked.workspace, checked.bug, checked.runner, baseline=TestReport())
        ctx = ToolContext(checked.bug, checked.workspace, validator, checked.runner, baseline=TestReport())
    for what, output in tool_outputs(ctx, needles, run_tests):
        leaked = [n for n in needles if n in output]
        assert not leaked, f"{what} shows the fix: {leaked}"


@pytest.mark.parametrize("bug_id", ["demo:is_sorted"])
def test_demo(bug_id: str) -> None:
    checked = check_out(bug_id)
    try:
        assert_out_of_reach(checked, added_lines(checked.bug.fix_patch or ""))
    finally:
        checked.close()


@pytest.mark.parametrize("bug_id", ["quixbugs-java:GCD", "quixbugs-python:gcd"])
def test_quixbugs_from_the_real_data(bug_id: str, quixbugs_tarball: Path) -> None:
    checked = check_out(bug_id, DatasetOptions(quixbugs_root=str(quixbugs_tarball)))
    try:
        root = Path(checked.workspace.path)
        assert not list(root.glob("correct_*")) and not (root / "tester.py").exists()
        needles = added_lines(checked.bug.fix_patch or "")
        assert any("gcd(b, a" in n for n in needles)
        assert_out_of_reach(checked, needles)
    finally:
        checked.close()


def test_gitbug_java(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The real GitBug-Java needs Docker and ~130 GiB of act caches: a fake CLI replays a real record
    # (tests/fixtures/gitbug), and writes gitbug.json, fix included, into the checkout as the real one does.
    monkeypatch.setenv("PATH", f"{GITBUG / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("REPAIR_CACHE_DIR", str(tmp_path / "cache"))
    checked = check_out("gitbug-java:Netflix-frigga-126b52a55863")
    try:
        assert not checked.workspace.exists("gitbug.json")
        # Nor the record's other future facts: the fix commit's message, the patch's field.
        assert files_holding(Path(checked.workspace.path), ['"bug_patch"', "updates AppVersion to ignore"]) == []
        assert_out_of_reach(checked, added_lines(checked.bug.fix_patch or ""))
        assert checked.bug.failing_tests, "the runner still has what gitbug-java run needs"
    finally:
        checked.close()


def test_local_repo_whose_history_holds_the_fix(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "digits.py").write_text("def digit_sum(number):\n    return sum(int(d) for d in str(number))\n")
    (repo / "test_digits.py").write_text("from digits import digit_sum\n\n"
                                         "def test_negative():\n    assert digit_sum(-12) == 3\n\n"
                                         "def test_positive():\n    assert digit_sum(12) == 3\n")
    git = ["git", "-c", "user.name=dev", "-c", "user.email=dev@localhost"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=repo, check=True)
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "buggy"], cwd=repo, check=True)
    subprocess.run([*git, "checkout", "-qb", "fix"], cwd=repo, check=True)
    (repo / "digits.py").write_text("def digit_sum(number):\n" + FIXED_LINE + "\n")
    subprocess.run([*git, "commit", "-qam", "fix"], cwd=repo, check=True)
    subprocess.run([*git, "checkout", "-q", "main"], cwd=repo, check=True)  # the fix is in the repo's future
    checked = check_out(f"local:{repo}", DatasetOptions(test_cmd="pytest -q"))
    try:
        assert not (Path(checked.workspace.path) / ".git" / "refs" / "heads" / "fix").exists()
        assert_out_of_reach(checked, [FIXED_LINE.strip()])
    finally:
        checked.close()


def test_defects4j(cli1: CheckedOutBug) -> None:
    # Defects4J's tests take a minute to build and run: here the tools that only read, on the real Cli-1.
    buggy = cli1.workspace.read_file("src/java/org/apache/commons/cli/CommandLine.java")
    # Lines of the fix that the buggy code does not already hold, and that are code of their own (a call).
    needles = [n for n in added_lines(cli1.bug.fix_patch or "") if "(" in n and len(n) >= 20 and n not in buggy]
    assert "return options.contains( resolveOption(opt));" in needles
    assert_out_of_reach(cli1, needles, run_tests=False)
