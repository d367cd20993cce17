"""`repair ci` end to end: a real git repo with a failing pytest test, a bare git remote, the agent driven by a
ScriptedModel, and a local fake GitHub REST server over real HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fake_github_server import FakeGitHub
from typer.testing import CliRunner

from repair.ci import check_patch_paths, commit_identity, commit_patch, own_run_reason, push_branch, redact
from repair.cli import app  # registers every sub-command, `ci` included
from repair.datasets.local import LocalDataset
from repair.errors import PatchRefusedError, RepairError
from repair.github_api import GitHubClient, GitHubError

TOKEN = "ghs_fakeTokenForTests0123456789abcdef"
MODEL_KEY = "sk-fakeModelKeyForTests0123456789"
REPOSITORY = "octo/calc"
CALC = "def add(a, b):\n    return a - b\n\n\ndef sub(a, b):\n    return a - b\n"
TESTS = "from calc import add, sub\n\n\ndef test_add():\n    assert add(2, 3) == 5\n\n\ndef test_sub():\n" \
        "    assert sub(5, 3) == 2\n"
# Writes a marker file whenever pytest starts in a copy of the repo: proof that the tests ran (or did not),
# with the secrets the tests could see (none: the repository's code must not get them).
CONFTEST = "import os\nimport pathlib\n\nif os.environ.get('CALC_MARKER'):\n" \
           "    seen = os.environ.get('GITHUB_TOKEN', '') + os.environ.get('OPENAI_API_KEY', '')\n" \
           "    pathlib.Path(os.environ['CALC_MARKER']).write_text(seen or 'none')\n"
SCRIPT = [
    {"thoughts": "add subtracts", "command": {"name": "express_hypothesis",
                                              "args": {"hypothesis": "add() subtracts instead of adding"}}},
    {"thoughts": "fix it", "command": {"name": "write_fix", "args": {"changes": [
        {"file": "calc.py", "changes": [{"start": 2, "end": 2, "replacement": "    return a + b"}]}]}}},
    {"thoughts": "done", "command": {"name": "goal_accomplished", "args": {}}},
]
GITHUB_VARS = ("GITHUB_TOKEN", "GITHUB_REPOSITORY", "GITHUB_API_URL", "GITHUB_EVENT_PATH", "GITHUB_HEAD_REF",
               "GITHUB_REF_NAME", "GITHUB_RUN_ID", "GITHUB_RUN_ATTEMPT", "GITHUB_OUTPUT", "OPENAI_API_KEY",
               "GITHUB_ACTIONS")


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.name=dev", "-c", "user.email=dev@example.com", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.strip()


def make_repo(tmp_path: Path, calc: str = CALC) -> tuple[Path, Path]:
    """A checkout on `main` with a bare `origin` that has `main` pushed."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    work = tmp_path / "work"
    (work / "tests").mkdir(parents=True)
    (work / "calc.py").write_text(calc)
    (work / "tests" / "test_calc.py").write_text(TESTS)
    (work / "conftest.py").write_text(CONFTEST)
    git(work, "init", "-q", "-b", "main")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "calc")
    git(work, "remote", "add", "origin", str(remote))
    git(work, "push", "-q", "origin", "main")
    return work, remote


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No GitHub variables from the machine running the tests; returns the marker file's path."""
    for name in GITHUB_VARS:
        monkeypatch.delenv(name, raising=False)
    marker = tmp_path / "tests-ran"
    monkeypatch.setenv("CALC_MARKER", str(marker))
    return marker


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "script.json"
    path.write_text(json.dumps(SCRIPT))
    return path


def workflow_run_event(tmp_path: Path, head_branch: str = "main", head_repo: str = REPOSITORY) -> Path:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({
        "action": "completed",
        "workflow_run": {"conclusion": "failure", "head_branch": head_branch, "head_sha": "0" * 40,
                         "head_repository": {"full_name": head_repo}},
        "repository": {"full_name": REPOSITORY},
    }))
    return event


def all_output_text(out_dir: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in out_dir.rglob("*") if p.is_file())


def test_ci_pushes_a_repair_branch_and_opens_a_pull_request(tmp_path: Path, clean_env: Path, script: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    work, remote = make_repo(tmp_path)
    main_before = git(remote, "rev-parse", "refs/heads/main")
    step_output = tmp_path / "github-output"
    with FakeGitHub() as github:
        for name, value in {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": REPOSITORY, "GITHUB_API_URL": github.url,
                            "GITHUB_RUN_ID": "4242", "GITHUB_OUTPUT": str(step_output), "OPENAI_API_KEY": MODEL_KEY,
                            "GITHUB_EVENT_PATH": str(workflow_run_event(tmp_path)), "GITHUB_ACTIONS": "true"}.items():
            monkeypatch.setenv(name, value)
        result = CliRunner().invoke(app, ["ci", "--repo", str(work), "--test-cmd", "pytest -q",
                                          "--model", f"scripted:{script}", "--max-seconds", "300"])

    assert result.exit_code == 0, result.output
    assert "pr-opened" in result.output and "#1" in result.output
    assert clean_env.read_text() == "none"  # the tests ran (the failure was reproduced) without the secrets

    # The branch is on the remote: HEAD + the fix of calc.py, nothing else; the failing branch is untouched.
    branch = "repair/4242"
    assert git(remote, "rev-parse", "refs/heads/main") == main_before
    assert git(remote, "rev-parse", f"refs/heads/{branch}~1") == main_before
    assert git(remote, "diff", "--name-only", "main", branch) == "calc.py"
    assert "+    return a + b" in git(remote, "diff", "main", branch)
    assert git(remote, "log", "-1", "--format=%an <%ae>", branch).startswith("github-actions[bot] <")
    assert git(remote, "show", f"{branch}:tests/test_calc.py") == TESTS.strip()
    # The user's checkout: same branch, same HEAD, no change (repair-ci/ ignores itself).
    assert git(work, "symbolic-ref", "--short", "HEAD") == "main"
    assert git(work, "rev-parse", "HEAD") == main_before
    assert git(work, "status", "--porcelain", "--ignored") == "!! repair-ci/"

    out = work / "repair-ci"
    patch = (out / "patch.diff").read_text()
    report = (out / "report.md").read_text()
    record = json.loads((out / "result.json").read_text())
    assert "-    return a - b" in patch and "+    return a + b" in patch
    assert record["status"] == "pr-opened" and record["branch"] == branch and record["base"] == "main"
    assert record["pull_request"]["number"] == 1
    assert record["failing_tests"] == ["tests/test_calc.py::test_add"]

    # The repository was asked for before any work, and the base branch known before the push.
    (check, request) = github.requests
    assert (check.method, check.path) == ("GET", "/repos/octo/calc")
    assert (request.method, request.path) == ("POST", "/repos/octo/calc/pulls")
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert headers["authorization"] == f"Bearer {TOKEN}"
    assert headers["accept"] == "application/vnd.github+json"
    assert headers["x-github-api-version"] == "2022-11-28"
    assert request.body["head"] == branch and request.body["base"] == "main"
    assert request.body["title"].startswith("repair:") and "test_add" in request.body["title"]
    assert request.body["body"] == report
    assert patch.strip() in request.body["body"]

    assert "status=pr-opened" in step_output.read_text()
    assert TOKEN not in all_output_text(out) and MODEL_KEY not in all_output_text(out)
    assert TOKEN not in step_output.read_text()
    assert TOKEN not in result.output


def test_ci_dry_run_with_the_default_offline_engine(tmp_path: Path, clean_env: Path) -> None:
    work, remote = make_repo(tmp_path)
    result = CliRunner().invoke(app, ["ci", "--repo", str(work), "--test-cmd", "pytest -q", "--dry-run",
                                      "--max-seconds", "300"])
    assert result.exit_code == 0, result.output
    assert "patched" in result.output and "offline" in result.output
    out = work / "repair-ci"
    assert {"patch.diff", "report.md", "result.json"} <= {p.name for p in out.iterdir()}
    assert "+    return a + b" in (out / "report.md").read_text()
    assert json.loads((out / "result.json").read_text())["status"] == "patched"
    agent_run = json.loads(next((out / "runs").rglob("result.json")).read_text())
    assert agent_run["options"]["web"] is False  # CI code may be private: no web search unless --web
    assert git(remote, "for-each-ref", "--format=%(refname)") == "refs/heads/main"
    assert (work / "calc.py").read_text() == CALC


def test_no_plausible_patch_exits_one_and_says_so(tmp_path: Path, clean_env: Path) -> None:
    work, remote = make_repo(tmp_path)
    gives_up = tmp_path / "gives-up.json"
    gives_up.write_text(json.dumps(SCRIPT[:1]))  # a hypothesis, then the script runs out
    result = CliRunner().invoke(app, ["ci", "--repo", str(work), "--test-cmd", "pytest -q", "--no-open-pr",
                                      "--model", f"scripted:{gives_up}"])
    assert result.exit_code == 1, result.output
    assert "no-patch" in result.output
    out = work / "repair-ci"
    assert not (out / "patch.diff").exists()
    assert json.loads((out / "result.json").read_text())["status"] == "no-patch"
    assert "test_add" in (out / "report.md").read_text()
    assert git(remote, "for-each-ref", "--format=%(refname)") == "refs/heads/main"


def test_passing_tests_exit_zero_with_nothing_to_repair(tmp_path: Path, clean_env: Path) -> None:
    work, remote = make_repo(tmp_path, calc=CALC.replace("return a - b", "return a + b", 1))
    with FakeGitHub() as github:
        env = {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": REPOSITORY, "GITHUB_API_URL": github.url,
               "CALC_MARKER": str(clean_env), "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
               "HOME": str(tmp_path), "GITHUB_ACTIONS": "true"}
        # No --test-cmd: pytest is detected from tests/ and conftest.py. The real CLI, as a workflow runs it.
        done = subprocess.run(["repair", "ci"], cwd=work, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "nothing to repair" in done.stdout
    assert "python -m pytest" in done.stdout
    assert clean_env.exists()
    assert [(r.method, r.path) for r in github.requests] == [("GET", "/repos/octo/calc")]  # the check, no PR
    assert git(remote, "for-each-ref", "--format=%(refname)") == "refs/heads/main"
    assert json.loads((work / "repair-ci" / "result.json").read_text())["status"] == "nothing-to-repair"
    assert "nothing to repair" in (work / "repair-ci" / "report.md").read_text()


def test_missing_token_with_open_pr_is_a_clear_error_before_any_work(tmp_path: Path, clean_env: Path) -> None:
    work, _ = make_repo(tmp_path)
    env = {"CALC_MARKER": str(clean_env), "GITHUB_REPOSITORY": REPOSITORY,
           "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(["repair", "ci", "--open-pr", "--test-cmd", "pytest -q"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().startswith("error: --open-pr needs GITHUB_TOKEN")
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not clean_env.exists()  # the tests never ran
    assert not (work / "repair-ci").exists()


def test_an_api_the_token_cannot_use_is_a_clear_error_before_any_work(tmp_path: Path, clean_env: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    work, remote = make_repo(tmp_path)
    with FakeGitHub(failures={"/repos/octo/calc": (404, {"message": "Not Found"})}) as github:
        for name, value in {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": REPOSITORY,
                            "GITHUB_API_URL": github.url}.items():
            monkeypatch.setenv(name, value)
        result = CliRunner().invoke(app, ["ci", "--repo", str(work), "--test-cmd", "pytest -q"])
    assert isinstance(result.exception, GitHubError)  # `repair` prints it as one line and exits 2
    assert "HTTP 404" in str(result.exception) and TOKEN not in str(result.exception)
    assert not clean_env.exists()  # the tests never ran
    assert git(remote, "for-each-ref", "--format=%(refname)") == "refs/heads/main"  # nothing pushed


def test_outside_actions_the_patch_is_committed_as_the_local_git_identity(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    work, _ = make_repo(tmp_path)
    # No global or system git configuration: only what the checkout says counts.
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.delenv("GIT_CONFIG_GLOBAL", raising=False)
    with pytest.raises(RepairError, match="set git config user.name and user.email"):
        commit_identity(work, {})
    git(work, "config", "user.name", "Ada Lovelace")
    git(work, "config", "user.email", "ada@example.com")
    fix = "--- a/calc.py\n+++ b/calc.py\n@@ -2,1 +2,1 @@\n-    return a - b\n+    return a + b\n"
    commit = commit_patch(work, fix, "repair: calc\n", commit_identity(work, {}))
    assert git(work, "log", "-1", "--format=%an <%ae> / %cn <%ce>", commit) == \
        "Ada Lovelace <ada@example.com> / Ada Lovelace <ada@example.com>"
    on_runner = commit_patch(work, fix, "repair: calc\n", commit_identity(work, {"GITHUB_ACTIONS": "true"}))
    assert git(work, "log", "-1", "--format=%an", on_runner) == "github-actions[bot]"


def test_ci_never_runs_on_its_own_branches(tmp_path: Path, clean_env: Path, script: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    work, remote = make_repo(tmp_path)
    with FakeGitHub() as github:
        for name, value in {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": REPOSITORY, "GITHUB_API_URL": github.url,
                            "GITHUB_EVENT_PATH": str(workflow_run_event(tmp_path, head_branch="repair/17"))}.items():
            monkeypatch.setenv(name, value)
        result = CliRunner().invoke(app, ["ci", "--repo", str(work), "--model", f"scripted:{script}"])
    assert result.exit_code == 0, result.output
    assert "own-run" in result.output and "repair/17" in result.output
    assert not clean_env.exists()
    assert github.requests == []
    assert git(remote, "for-each-ref", "--format=%(refname)") == "refs/heads/main"


def test_own_run_detection_sources() -> None:
    assert own_run_reason({"GITHUB_HEAD_REF": "repair/9"}, {}, None)
    assert own_run_reason({}, {"pull_request": {"head": {"ref": "repair/9"}}}, None)
    assert own_run_reason({"GITHUB_REF_NAME": "repair/9"}, {}, None)
    assert own_run_reason({}, {}, "repair/9")
    assert own_run_reason({"GITHUB_HEAD_REF": "feature/repair"}, {"workflow_run": {"head_branch": "main"}},
                          "main") is None


def test_a_patch_that_edits_a_test_is_refused_before_commit(tmp_path: Path) -> None:
    work, _ = make_repo(tmp_path)
    bug = LocalDataset(work, "pytest -q").list_bugs()[0]
    edits_test = ("--- a/tests/test_calc.py\n+++ b/tests/test_calc.py\n@@ -5,1 +5,1 @@\n"
                  "-    assert add(2, 3) == 5\n+    assert add(2, 3) == -1\n")
    with pytest.raises(PatchRefusedError, match="test file"):
        check_patch_paths(edits_test, bug, work, work / "repair-ci")
    into_outputs = "--- a/repair-ci/x.txt\n+++ b/repair-ci/x.txt\n@@ -1,1 +1,1 @@\n-a\n+b\n"
    with pytest.raises(PatchRefusedError, match="output folder"):
        check_patch_paths(into_outputs, bug, work, work / "repair-ci")


def test_github_errors_are_one_clear_line_without_the_token() -> None:
    refusal = {"message": "Validation Failed",
               "errors": [{"message": "A pull request already exists for octo:repair/1."}]}
    with FakeGitHub(failures={"/repos/octo/calc/pulls": (422, refusal)}) as github:
        client = GitHubClient(TOKEN, github.url)
        with pytest.raises(GitHubError) as raised:
            client.create_pull(REPOSITORY, "t", "repair/1", "main", "b")
        assert client.default_branch(REPOSITORY) == "main"
    message = str(raised.value)
    assert "HTTP 422" in message and "already exists" in message and TOKEN not in message
    assert TOKEN not in repr(client)
    with pytest.raises(GitHubError, match="cannot reach the GitHub API"):
        GitHubClient(TOKEN, github.url, timeout=5).create_pull(REPOSITORY, "t", "repair/1", "main", "b")
    with pytest.raises(GitHubError, match="owner/name"):
        GitHubClient(TOKEN, github.url).create_pull("not-a-repo", "t", "h", "b", "x")


def test_redact_removes_tokens_and_url_credentials() -> None:
    text = f"fatal: https://x-access-token:{TOKEN}@github.com/octo/calc.git denied {TOKEN}"
    assert TOKEN not in redact(text, [TOKEN])
    assert "x-access-token" not in redact(text, [])


def test_a_failed_push_names_the_problem_without_the_token(tmp_path: Path) -> None:
    work, _ = make_repo(tmp_path)
    # A remote URL with the credentials in it, on a port where nothing listens: git push fails for real.
    git(work, "remote", "set-url", "origin", f"http://x-access-token:{TOKEN}@127.0.0.1:9/octo/calc.git")
    with pytest.raises(RepairError) as raised:
        push_branch(work, "origin", git(work, "rev-parse", "HEAD"), "repair/1", [TOKEN])
    assert "git push of repair/1 to origin failed" in str(raised.value)
    assert TOKEN not in str(raised.value)
    with pytest.raises(RepairError, match="only repair/"):
        push_branch(work, "origin", git(work, "rev-parse", "HEAD"), "main", [TOKEN])
