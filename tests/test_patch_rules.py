"""The allow-list for patches: only the project's source files outside tests; the judge is never editable.

Each refused kind is a patch that was judged plausible before (and that `--apply` wrote into the user's
repository): a new pytest configuration whose plugin turns failures into passes, an edit to the script
the test command runs, an edit to package.json, a symlink (written as a regular file), a binary patch
(written as an empty file).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from repair.checkout import check_out
from repair.datasets.registry import DatasetOptions
from repair.errors import PatchRefusedError
from repair.patch import Patch
from repair.patch_rules import DirectoryTree, PatchRules, files_named_by
from repair.validation import PatchValidator

# A pytest plugin that reports every failing test as passed.
EVIL_PLUGIN = ("import pytest\n\n@pytest.hookimpl(hookwrapper=True)\ndef pytest_runtest_makereport(item, call):\n"
               "    outcome = yield\n    report = outcome.get_result()\n    report.outcome = 'passed'\n")


def new_file(path: str, text: str, mode: str = "100644") -> str:
    lines = text.splitlines()
    body = "".join(f"+{line}\n" for line in lines)
    return (f"diff --git a/{path} b/{path}\nnew file mode {mode}\n--- /dev/null\n+++ b/{path}\n"
            f"@@ -0,0 +1,{len(lines)} @@\n{body}")


def edit(path: str, old: str, new: str) -> str:
    return f"--- a/{path}\n+++ b/{path}\n@@ -1 +1 @@\n-{old}\n+{new}\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "tests").mkdir(parents=True)
    (root / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    (root / "tests" / "test_calc.py").write_text("from calc import add\n\ndef test_add():\n    assert add(2, 2) == 4\n")
    (root / "run_tests.sh").write_text("python -m pytest -q tests\n")
    (root / "run_tests.py").write_text("import pytest\npytest.main(['tests'])\n")
    (root / "package.json").write_text('{"scripts": {"test": "pytest"}}\n')
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    return root


def rules_for(repo: Path, test_cmd: str) -> PatchRules:
    checked = check_out(f"local:{repo}", DatasetOptions(test_cmd=test_cmd), discover_failing=False)
    try:
        return checked.bug.patch_rules()
    finally:
        checked.close()


REFUSED = {
    "pytest.toml": (new_file("pytest.toml", '[pytest]\naddopts = ["-p", "evil"]'), "build or test configuration"),
    ".pytest.ini": (new_file(".pytest.ini", "[pytest]\naddopts = -p evil"), "build or test configuration"),
    ".pytest.toml": (new_file(".pytest.toml", '[pytest]\naddopts = ["-p", "evil"]'), "build or test configuration"),
    "conftest.py": (new_file("conftest.py", EVIL_PLUGIN), "build or test configuration"),
    "the script of the test command": (edit("run_tests.sh", "python -m pytest -q tests", "exit 0"),
                                       "named by the test command"),
    "package.json": (edit("package.json", '{"scripts": {"test": "pytest"}}', '{"scripts": {"test": "true"}}'),
                     "build or test configuration"),
    "a symlink": (new_file("calc_link.py", "tests/test_calc.py", mode="120000"), "is a symlink"),
    "an executable": (new_file("tool.py", "print(1)", mode="100755"), "changes a file mode"),
    "a mode change": ("diff --git a/calc.py b/calc.py\nold mode 100644\nnew mode 100755\n", "changes a file mode"),
    "a binary patch": ("diff --git a/data.py b/data.py\nnew file mode 100644\nindex 0000000..e69de29\n"
                       "Binary files /dev/null and b/data.py differ\n", "binary patch"),
    "a test": (edit("tests/test_calc.py", "from calc import add", "add = lambda a, b: 4"), "test file"),
    "a module that shadows pytest": (new_file("pytest.py", "import sys\nsys.exit(0)"), "shadow the module"),
    "a source file in a new folder": (new_file("org/junit/Assert.py", "x = 1"), "a folder with no .py sources"),
    "a hidden folder": (new_file(".hooks/calc.py", "x = 1"), "hidden folder"),
    "a script": (new_file("tools/run.sh", "exit 0"), "a script"),
}


@pytest.mark.parametrize("kind", sorted(REFUSED))
def test_every_refused_kind_is_one_line_naming_the_rule(repo: Path, kind: str) -> None:
    diff, rule = REFUSED[kind]
    rules = rules_for(repo, "sh run_tests.sh")
    with pytest.raises(PatchRefusedError) as refused:
        rules.check(Patch.parse(diff), DirectoryTree(repo))
    message = str(refused.value)
    assert message.startswith("refused: ") and "\n" not in message and rule in message, message


def test_sources_of_the_project_are_allowed(repo: Path) -> None:
    rules = rules_for(repo, "sh run_tests.sh")
    rules.check(Patch.parse(edit("calc.py", "def add(a, b):", "def add(a, b):  # fixed")), DirectoryTree(repo))
    rules.check(Patch.parse(new_file("calc_helpers.py", "def twice(x):\n    return 2 * x")), DirectoryTree(repo))


def test_a_python_script_named_by_the_test_command_is_refused(repo: Path) -> None:
    rules = rules_for(repo, "python run_tests.py")
    with pytest.raises(PatchRefusedError, match="named by the test command"):
        rules.check(Patch.parse(edit("run_tests.py", "import pytest", "import sys; sys.exit(0)")))
    assert {"tool/cli.py", "tool/cli/__main__.py"} <= files_named_by("python -m tool.cli --fast")


def test_java_build_configuration_and_wrappers_are_refused(tmp_path: Path) -> None:
    src = tmp_path / "proj" / "src" / "main" / "java" / "app"
    src.mkdir(parents=True)
    (src / "App.java").write_text("package app;\nclass App {}\n")
    (tmp_path / "proj" / "pom.xml").write_text("<project/>\n")
    rules = PatchRules(("java",))
    tree = DirectoryTree(tmp_path / "proj")
    for diff, rule in [
        (edit("pom.xml", "<project/>", "<project><build/></project>"), "build or test configuration"),
        (new_file(".mvn/wrapper/MavenWrapperDownloader.java", "class M {}"), "hidden folder"),
        (new_file("buildSrc/src/main/java/Plugin.java", "class P {}"), "build or test configuration"),
        (new_file("src/main/java/org/junit/Assert.java", "package org.junit;\nclass Assert {}"), "no .java sources"),
    ]:
        with pytest.raises(PatchRefusedError, match=rule):
            rules.check(Patch.parse(diff), tree)
    rules.check(Patch.parse(new_file("src/main/java/app/Util.java", "package app;\nclass Util {}")), tree)


def test_judge_edits_are_refused_by_the_validator_before_any_test_runs(repo: Path) -> None:
    checked = check_out(f"local:{repo}", DatasetOptions(test_cmd="pytest -q tests"), discover_failing=False)
    try:
        validator = PatchValidator(checked.workspace, checked.bug, checked.runner)
        plugin = new_file("evil.py", EVIL_PLUGIN)
        result = validator.validate(plugin + new_file("pytest.toml", '[pytest]\naddopts = ["-p", "evil"]'))
        assert result.status == "refused" and "pytest.toml" in result.message
        os.symlink("tests/test_calc.py", Path(checked.workspace.path) / "alias.py")
        result = validator.validate(edit("alias.py", "from calc import add", "add = lambda a, b: 4"))
        assert result.status == "refused" and "symlink" in result.message
        assert checked.workspace.diff() == ""
    finally:
        checked.close()


def test_apply_refuses_build_output_and_writes_nothing(repo: Path) -> None:
    from repair.apply_patch import ApplyError, apply_to_repo

    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()}
    source_fix = edit("calc.py", "def add(a, b):", "def add(a, b):  # fixed")
    with pytest.raises(ApplyError, match=r"^--apply wrote nothing: refused: target/antrun/build-main.xml"):
        apply_to_repo(repo, source_fix + new_file("target/antrun/build-main.xml", "<project/>"),
                      rules_for(repo, "pytest -q tests"))
    assert {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()} == before
    assert not (repo / "target").exists()


def test_apply_is_all_or_nothing_when_a_write_fails(repo: Path) -> None:
    from repair.apply_patch import ApplyError, apply_to_repo

    (repo / "pkg").mkdir()
    (repo / "pkg" / "a.py").write_text("a = 1\n")
    (repo / "pkg" / "b.py").mkdir()  # the second file cannot be written: a folder has its name
    original = (repo / "calc.py").read_bytes()
    diff = edit("calc.py", "def add(a, b):", "def add(a, b):  # fixed") + new_file("pkg/b.py", "b = 2")
    with pytest.raises(ApplyError, match="^--apply wrote nothing: cannot write"):
        apply_to_repo(repo, diff, PatchRules(("python",)))
    assert (repo / "calc.py").read_bytes() == original
    assert sorted(p.name for p in repo.iterdir() if p.name.startswith(".repair-apply-")) == []
    assert sorted(p.name for p in (repo / "pkg").iterdir()) == ["a.py", "b.py"]


def test_apply_writes_every_file_and_keeps_modes(repo: Path) -> None:
    from repair.apply_patch import apply_to_repo

    (repo / "calc.py").chmod(0o640)
    written = apply_to_repo(repo, edit("calc.py", "def add(a, b):", "def add(a, b):  # fixed")
                            + new_file("calc_helpers.py", "x = 1"), PatchRules(("python",)))
    assert written == ["calc.py", "calc_helpers.py"]
    assert (repo / "calc.py").read_text().startswith("def add(a, b):  # fixed")
    assert (repo / "calc.py").stat().st_mode & 0o777 == 0o640
    assert (repo / "calc_helpers.py").read_text() == "x = 1\n"
