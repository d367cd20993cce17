"""`repair ci`: reproduce a failing CI run, let the agent repair it, and propose the patch as a pull request.

The flow, in order (each step can end it):
1. never act on the agent's own branches or PRs (`repair/...`), so a repair cannot trigger a repair;
2. check what the remote steps need (token, repository, git remote) before any work;
3. reproduce the failure in a workspace copy: passing tests mean "nothing to repair";
4. run the agent on the `local:` bug;
5. write `repair-ci/patch.diff`, `report.md`, `result.json`;
6. unless `--dry-run`: commit the patch with git plumbing (the working tree, index and current branch of the
   checkout are untouched), push it as a new `repair/<run-id>` branch, and open a PR into the failing branch.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from repair.checkout import CheckedOutBug, check_out
from repair.containers.process import CommandResult, run_process
from repair.containers.secrets_filter import scrub_secrets
from repair.datasets.bug import Bug
from repair.datasets.local import detect_test_command
from repair.datasets.registry import DatasetOptions
from repair.errors import PatchError, PatchRefusedError, RepairError
from repair.fix_run import FixOptions, run_fix
from repair.github_api import GitHubClient, parse_repository
from repair.model_spec import make_model
from repair.models import load_prices
from repair.patch import Patch
from repair.patch_rules import DirectoryTree
from repair.runners import TestReport

CI_DIR = "repair-ci"
BRANCH_PREFIX = "repair/"
GIT_TIMEOUT = 120.0
PR_BODY_LIMIT = 60_000  # GitHub refuses bodies over 65,536 characters
BOT_NAME = "github-actions[bot]"
BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"
OUTPUT_FILES = ("patch.diff", "report.md", "result.json")
# The tests, the agent and the report run the repository's code: they must not see a token that can push.
TOKEN_VARS = ("GITHUB_TOKEN", "GH_TOKEN")
MODEL_KEY_VARS = ("OPENAI_API_KEY",)  # hidden too, once the model client has read it


@dataclass
class CiOptions:
    """What `repair ci` is told on the command line."""

    repo: Path = Path(".")
    test_cmd: str | None = None
    model: str | None = None
    base_url: str | None = None
    max_minutes: float = 20.0
    dry_run: bool = False
    open_pr: bool = True
    base: str | None = None  # the PR's base branch; default: the branch whose run failed
    remote: str = "origin"
    out_dir: Path | None = None  # default: <repo>/repair-ci

    @property
    def pushes(self) -> bool:
        return not self.dry_run

    @property
    def opens_pr(self) -> bool:
        return self.pushes and self.open_pr


@dataclass
class CiOutcome:
    """How `repair ci` ended: a status word, a sentence for the log, and the exit code to use."""

    status: str  # own-run, fork, nothing-to-repair, not-reproducible, no-patch, patched, pushed, pr-opened
    message: str
    exit_code: int
    out_dir: Path
    patch: str = ""
    branch: str | None = None
    pull_request_url: str | None = None
    record: dict[str, Any] = field(default_factory=dict)


Say = Callable[[str], None]


def run_ci(options: CiOptions, env: Mapping[str, str] | None = None, say: Say = print) -> CiOutcome:
    """Run the whole `repair ci` flow in the checkout `options.repo` (see the module docstring)."""
    env = dict(os.environ if env is None else env)
    root = options.repo.expanduser().resolve()
    if not root.is_dir():
        raise RepairError(f"{root} is not a directory: run repair ci inside the checked-out repository")
    out = (options.out_dir or root / CI_DIR).resolve()
    event = read_event(env)
    reason = own_run_reason(env, event, current_branch(root))
    client = None if reason else preflight(options, root, env)  # nothing is written before this passes
    _clear_outputs(out)
    if reason:
        skipped = CiOutcome("own-run", f"skipped: {reason}; repair ci never repairs its own branches", 0, out)
        return _finish(skipped, {}, env)
    if options.pushes and is_fork_run(event):
        return _finish(CiOutcome("fork", "skipped: the failing run comes from a fork; repair ci pushes branches "
                                         "only to this repository", 0, out), {}, env)
    test_cmd = options.test_cmd or detect_test_command(root)
    if not test_cmd:
        raise RepairError(f"cannot tell how to run the tests of {root} (no pom.xml, build.gradle, pytest or "
                          "package.json found): pass --test-cmd")
    with hidden_env(TOKEN_VARS):
        return _repair_and_propose(options, root, out, test_cmd, event, env, client, say)


def _repair_and_propose(options: CiOptions, root: Path, out: Path, test_cmd: str, event: Mapping[str, Any],
                        env: Mapping[str, str], client: GitHubClient | None, say: Say) -> CiOutcome:
    """Steps 3 to 6; the token is out of the environment, and only `client` and `env` hold it."""
    say(f"reproducing the failure: {test_cmd}")
    with hidden_env(MODEL_KEY_VARS):
        checked = reproduce(root, test_cmd)
    try:
        return _repair_reproduced(options, root, out, test_cmd, event, env, client, say, checked)
    finally:
        checked.close()


def _repair_reproduced(options: CiOptions, root: Path, out: Path, test_cmd: str, event: Mapping[str, Any],
                       env: Mapping[str, str], client: GitHubClient | None, say: Say,
                       checked: CheckedOutBug) -> CiOutcome:
    """Steps 4 to 6, in the workspace where the failure was reproduced (the tests are not run again)."""
    secrets = [env.get("GITHUB_TOKEN", ""), env.get("OPENAI_API_KEY", "")]
    bug, baseline = checked.bug, checked.baseline or TestReport()
    unreproduced = judge_baseline(baseline, test_cmd, workflow_failed(event), out)
    if unreproduced is not None:
        return _finish(unreproduced, {"test_command": test_cmd, "baseline": baseline.summary()}, env)

    model = make_model(options.model, options.base_url, load_prices(None))  # reads the API key, if any
    run_id = make_run_id(env)
    say(f"{len(bug.failing_tests)} failing test(s): {', '.join(bug.failing_tests[:5])}; running the agent "
        f"({model.name}, at most {options.max_minutes:g} min)")
    fix_options = FixOptions(bug_id=f"local:{root}", model=options.model, base_url=options.base_url,
                             max_seconds=options.max_minutes * 60, runs_dir=str(out / "runs"), test_cmd=test_cmd)
    with hidden_env(MODEL_KEY_VARS):
        fixed = run_fix(fix_options, model=model, run_dir=out / "runs" / run_id, checked=checked)
    summary = fixed.summary
    record: dict[str, Any] = {
        "run_id": run_id, "test_command": test_cmd, "failing_tests": list(bug.failing_tests),
        "run_dir": str(fixed.run_dir), "dry_run": options.dry_run,
        "agent": {k: summary.get(k) for k in ("status", "reason", "model", "cycles", "tokens", "cost_usd", "seconds")},
    }
    patch = summary.get("patch") or ""
    if summary.get("status") != "plausible" or not patch.strip():
        outcome = CiOutcome("no-patch", f"no plausible patch: {summary.get('reason', 'the agent stopped')}", 1, out)
        with hidden_env(MODEL_KEY_VARS):
            review = _review_report(fixed.run_dir)  # what the agent tried, for the job summary
        if review:
            out.mkdir(parents=True, exist_ok=True)
            (out / "report.md").write_text(review)
        return _finish(outcome, record, env)

    check_patch_paths(patch, bug, root, out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "patch.diff").write_text(patch)
    with hidden_env(MODEL_KEY_VARS):
        report = build_report(fixed.run_dir, summary, test_cmd, run_id)
    (out / "report.md").write_text(report)
    record["patch"] = patch
    if options.dry_run:
        outcome = CiOutcome("patched", f"dry run: the patch is in {out / 'patch.diff'}; nothing was pushed", 0,
                            out, patch=patch)
        return _finish(outcome, record, env)

    branch = BRANCH_PREFIX + run_id
    base = options.base or failing_branch(env, event, root)
    if base and (base == branch or base.startswith(BRANCH_PREFIX)):
        raise RepairError(f"refusing to propose a patch into {base}: it is one of repair ci's own branches")
    commit = commit_patch(root, patch, commit_message(bug, run_id))
    say(f"pushing {branch} to {options.remote}")
    push_branch(root, options.remote, commit, branch, secrets)
    record.update(branch=branch, commit=commit)
    if client is None:
        outcome = CiOutcome("pushed", f"pushed {branch}; no pull request (--no-open-pr)", 0, out, patch, branch)
        return _finish(outcome, record, env)

    repository = env["GITHUB_REPOSITORY"]
    base = base or client.default_branch(repository)
    pull = client.create_pull(repository, pr_title(bug), branch, base, _clip(report, PR_BODY_LIMIT))
    record.update(base=base, pull_request={"number": pull.number, "url": pull.url})
    outcome = CiOutcome("pr-opened", f"opened pull request #{pull.number} {pull.url} ({branch} → {base})", 0, out,
                        patch, branch, pull.url)
    return _finish(outcome, record, env)


# -- before any work -------------------------------------------------------------------------------------------
def preflight(options: CiOptions, root: Path, env: Mapping[str, str]) -> GitHubClient | None:
    """Fail fast, before tests or the agent run, on anything the push or the PR will need."""
    client = None
    if options.opens_pr:
        if not env.get("GITHUB_TOKEN"):
            raise RepairError("--open-pr needs GITHUB_TOKEN (in a workflow: env GITHUB_TOKEN: ${{ github.token }}); "
                              "or pass --no-open-pr or --dry-run")
        if not env.get("GITHUB_REPOSITORY"):
            raise RepairError("--open-pr needs GITHUB_REPOSITORY=owner/name (set by GitHub Actions)")
        parse_repository(env["GITHUB_REPOSITORY"])
        client = GitHubClient.from_env(env)
    if options.pushes:
        top = _git(root, "rev-parse", "--show-toplevel")
        if not top.ok or Path(top.stdout.strip()).resolve() != root:
            raise RepairError(f"{root} is not the root of a git checkout: run repair ci at the repository root "
                              "(or pass --dry-run)")
        if not _git(root, "rev-parse", "--verify", "-q", "HEAD").ok:
            raise RepairError(f"{root} has no commit yet: pushing a branch needs one (or pass --dry-run)")
        if not _git(root, "remote", "get-url", options.remote).ok:
            raise RepairError(f"the checkout has no git remote '{options.remote}' to push the repair branch to "
                              "(or pass --dry-run)")
    return client


def read_event(env: Mapping[str, str]) -> dict[str, Any]:
    """The webhook payload of the run (GITHUB_EVENT_PATH); empty outside GitHub Actions."""
    path = env.get("GITHUB_EVENT_PATH")
    if not path or not Path(path).is_file():
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RepairError(f"GITHUB_EVENT_PATH {path} is not a JSON event payload: {exc}") from None
    return data if isinstance(data, dict) else {}


def own_run_reason(env: Mapping[str, str], event: Mapping[str, Any], branch: str | None) -> str | None:
    """Why this run is about repair ci's own work (a `repair/...` branch or PR), or None."""
    candidates = {
        "the pull request branch (GITHUB_HEAD_REF)": env.get("GITHUB_HEAD_REF"),
        "the failed run's branch (workflow_run.head_branch)": _dig(event, "workflow_run", "head_branch"),
        "the pull request branch (pull_request.head.ref)": _dig(event, "pull_request", "head", "ref"),
        "the pushed branch (GITHUB_REF_NAME)": env.get("GITHUB_REF_NAME"),
        "the checked-out branch": branch,
    }
    for what, name in candidates.items():
        if isinstance(name, str) and name.startswith(BRANCH_PREFIX):
            return f"{what} is {name}"
    return None


def is_fork_run(event: Mapping[str, Any]) -> bool:
    """True when the failed workflow run belongs to a fork (its branch is not in this repository)."""
    head = _dig(event, "workflow_run", "head_repository", "full_name")
    here = _dig(event, "repository", "full_name")
    return bool(head and here and head != here)


def workflow_failed(event: Mapping[str, Any]) -> bool:
    return _dig(event, "workflow_run", "conclusion") == "failure"


def failing_branch(env: Mapping[str, str], event: Mapping[str, Any], root: Path) -> str | None:
    """The branch whose run failed: the PR's base. None when only the API's default branch can tell."""
    for name in (_dig(event, "workflow_run", "head_branch"), env.get("GITHUB_HEAD_REF"), env.get("GITHUB_REF_NAME"),
                 current_branch(root)):
        if isinstance(name, str) and name and not name.startswith("refs/") and "/merge" not in name:
            return name
    return None


# -- reproduce -----------------------------------------------------------------------------------------------
def reproduce(root: Path, test_cmd: str) -> CheckedOutBug:
    """Run the tests once in a workspace copy of `root`: the bug with its failing tests and the report.

    The caller closes the workspace; the agent works in it afterwards.
    """
    return check_out(f"local:{root}", DatasetOptions(test_cmd=test_cmd))


def judge_baseline(baseline: TestReport, test_cmd: str, ci_failed: bool, out: Path) -> CiOutcome | None:
    """The outcome when the buggy version gives the agent nothing to repair; None when tests fail as expected."""
    if baseline.timed_out and not baseline.failing:
        return CiOutcome("not-reproducible", f"could not reproduce the failure: `{test_cmd}` timed out before any "
                                             "test failed", 1, out)
    if not baseline.build_ok:
        return CiOutcome("not-reproducible", f"could not reproduce a test failure: `{test_cmd}` fails to build, and "
                                             "repair ci repairs failing tests, not builds", 1, out)
    if baseline.failing:
        return None
    if ci_failed:
        return CiOutcome("not-reproducible", f"could not reproduce the failure: the CI run failed but `{test_cmd}` "
                                             f"passes here ({baseline.summary()}); a flaky test or a CI-only setup? "
                                             "nothing to repair", 0, out)
    return CiOutcome("nothing-to-repair", f"the tests pass ({baseline.summary()}): nothing to repair", 0, out)


# -- the patch -----------------------------------------------------------------------------------------------
def check_patch_paths(patch: str, bug: Bug, root: Path, out: Path) -> None:
    """Re-check, before anything is committed, that the patch changes only the bug's sources (`PatchRules`)."""
    parsed = Patch.parse(patch)
    with contextlib.suppress(ValueError):
        ours = out.relative_to(root).as_posix()
        for path in parsed.changed_paths():
            if path == ours or path.startswith(ours + "/"):
                raise PatchRefusedError(f"refused: {path} is in repair ci's own output folder")
    bug.patch_rules().check(parsed, DirectoryTree(root))


def build_report(run_dir: Path, summary: Mapping[str, Any], test_cmd: str, run_id: str) -> str:
    """The PR body: the patch review report (repair.reports when present), with the diff and a CI note."""
    report = _review_report(run_dir)
    if report is None:
        report = fallback_report(summary, test_cmd)
    patch = str(summary.get("patch") or "")
    if patch.strip() and patch.strip() not in report:
        report = report.rstrip() + f"\n\n## Patch\n\n```diff\n{patch.rstrip()}\n```\n"
    return report.rstrip() + (
        f"\n\n---\n_Proposed by `repair ci` (run `{run_id}`) after `{test_cmd}` failed. The patch is plausible: "
        "the failing tests pass with it and the passing tests still pass. It does not change any test. "
        "Review it before merging: plausible is not proven correct._\n")


def _review_report(run_dir: Path) -> str | None:
    written = run_dir / "report.md"  # `run_fix` writes the review reports with the run
    return written.read_text(encoding="utf-8") if written.is_file() else None


def fallback_report(summary: Mapping[str, Any], test_cmd: str) -> str:
    """A short markdown review report from the run's result, used when repair.reports is not available."""
    failing = (summary.get("tests_before") or {}).get("failing") or []
    tokens = summary.get("tokens") or {}
    lines = [
        f"# Repair: a plausible patch for {len(failing)} failing test(s)",
        "",
        f"`{test_cmd}` failed. The agent ({summary.get('model', '?')}) found a patch that makes the failing tests "
        f"pass without breaking the others ({summary.get('cycles', '?')} cycles, "
        f"{int(tokens.get('prompt', 0)) + int(tokens.get('completion', 0))} tokens, "
        f"${float(summary.get('cost_usd') or 0):.4f}, {float(summary.get('seconds') or 0):.1f}s).",
        "",
        "## Failing tests before the patch",
        "",
        *[f"- `{t}`" for t in failing],
        "",
        "## Patch",
        "",
        "```diff",
        str(summary.get("patch", "")).rstrip(),
        "```",
    ]
    tried = summary.get("fixes_tried") or []
    if len(tried) > 1:
        lines += ["", f"The agent tried {len(tried)} fixes; this is the first one that passed the tests."]
    return "\n".join(lines) + "\n"


def pr_title(bug: Bug) -> str:
    first = bug.failing_tests[0] if bug.failing_tests else "the tests"
    more = f" (+{len(bug.failing_tests) - 1} more)" if len(bug.failing_tests) > 1 else ""
    return _clip(f"repair: fix failing {first}{more}", 250)


def commit_message(bug: Bug, run_id: str) -> str:
    tests = "\n".join(f"- {t}" for t in bug.failing_tests[:20])
    return f"{pr_title(bug)}\n\nProposed by repair ci (run {run_id}); the failing tests were:\n{tests}\n"


# -- git: commit without touching the checkout, push a new branch ------------------------------------------------
def commit_patch(root: Path, patch: str, message: str) -> str:
    """A commit of HEAD + `patch`, built with plumbing in a private index; returns its sha.

    The working tree, the index and the current branch of the checkout stay as they are.
    """
    head = _git_out(root, "rev-parse", "HEAD")
    parsed = Patch.parse(patch)

    def read(path: str) -> str | None:
        shown = _git(root, "show", f"HEAD:{path}")
        return shown.stdout if shown.ok else None

    try:
        applied = parsed.apply_to_texts(read)
    except PatchError as exc:
        raise RepairError(f"the patch does not apply to HEAD {head[:12]} (uncommitted changes in the checkout?): "
                          f"{exc}") from None
    deleted = {p for p, f in zip(parsed.changed_paths(), parsed.files, strict=True) if f.delete}
    with tempfile.TemporaryDirectory(prefix="repair-ci-index-") as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        _git_out(root, "read-tree", "HEAD", env=env)
        for path, content in applied.files.items():
            if path in deleted:
                _git_out(root, "update-index", "--force-remove", "--", path, env=env)
                continue
            blob = _git_out(root, "hash-object", "-w", "--stdin", stdin=content)
            staged = _git_out(root, "ls-files", "-s", "--", path, env=env)
            mode = staged.split()[0] if staged else "100644"
            _git_out(root, "update-index", "--add", "--cacheinfo", f"{mode},{blob},{path}", env=env)
        tree = _git_out(root, "write-tree", env=env)
    identity = {"GIT_AUTHOR_NAME": BOT_NAME, "GIT_AUTHOR_EMAIL": BOT_EMAIL,
                "GIT_COMMITTER_NAME": BOT_NAME, "GIT_COMMITTER_EMAIL": BOT_EMAIL}
    return _git_out(root, "commit-tree", tree, "-p", head, "-F", "-", env=identity, stdin=message)


def push_branch(root: Path, remote: str, commit: str, branch: str, secrets: list[str]) -> None:
    """Push `commit` as the new branch `branch`; never forced, so an existing branch is never overwritten."""
    if not branch.startswith(BRANCH_PREFIX):
        raise RepairError(f"refusing to push to {branch}: repair ci pushes only {BRANCH_PREFIX}* branches")
    pushed = _git(root, "push", "--porcelain", remote, f"{commit}:refs/heads/{branch}", timeout=300)
    if not pushed.ok:
        detail = redact(pushed.output.strip().splitlines()[-1] if pushed.output.strip() else "", secrets)
        raise RepairError(f"git push of {branch} to {remote} failed: {detail or 'no output'} (does the workflow "
                          "have `permissions: contents: write`?)")


def current_branch(root: Path) -> str | None:
    """The checked-out branch; None when HEAD is detached (as in a checkout of a failing run's sha)."""
    result = _git(root, "symbolic-ref", "--short", "-q", "HEAD")
    if not result.ok:
        return None
    return result.stdout.strip() or None


def _git(root: Path, *args: str, env: Mapping[str, str] | None = None, stdin: str | None = None,
         timeout: float = GIT_TIMEOUT) -> CommandResult:
    # No prompt may wait for a password on a CI runner.
    full_env = {"GIT_TERMINAL_PROMPT": "0", **(env or {})}
    try:
        return run_process(["git", *args], cwd=root, timeout=timeout, env=full_env, stdin=stdin,
                           project_code=False)
    except OSError as exc:
        raise RepairError(f"cannot run git: {exc}") from None


def _git_out(root: Path, *args: str, env: Mapping[str, str] | None = None, stdin: str | None = None) -> str:
    result = _git(root, *args, env=env, stdin=stdin)
    if not result.ok:
        raise RepairError(f"git {args[0]} failed: {result.output.strip()[:300]}")
    return result.stdout.strip()


# -- small pieces --------------------------------------------------------------------------------------------
def make_run_id(env: Mapping[str, str]) -> str:
    """GITHUB_RUN_ID (with the attempt when it is a rerun) in Actions, a timestamp elsewhere."""
    run = env.get("GITHUB_RUN_ID", "")
    if re.fullmatch(r"\d+", run):
        attempt = env.get("GITHUB_RUN_ATTEMPT", "1")
        return run if attempt in ("", "1") else f"{run}-{attempt}"
    return datetime.now().strftime("%Y%m%d-%H%M%S")


def redact(text: str, secrets: list[str]) -> str:
    """`text` without any of `secrets` and without credentials embedded in URLs."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return re.sub(r"(://)[^/@\s]+@", r"\1***@", text)


@contextlib.contextmanager
def hidden_env(names: tuple[str, ...]) -> Iterator[None]:
    """Remove `names` from this process's environment (which subprocesses inherit) for the block."""
    saved = {name: os.environ.pop(name) for name in names if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def _finish(outcome: CiOutcome, record: dict[str, Any], env: Mapping[str, str]) -> CiOutcome:
    """Write result.json (and report.md when there is no patch report) and the step outputs."""
    out = outcome.out_dir
    out.mkdir(parents=True, exist_ok=True)
    secrets = [env.get("GITHUB_TOKEN", ""), env.get("OPENAI_API_KEY", "")]
    outcome.message = redact(outcome.message, secrets)
    outcome.record = {"status": outcome.status, "message": outcome.message, **record}
    (out / "result.json").write_text(json.dumps(outcome.record, indent=2))
    if not (out / "report.md").is_file():
        (out / "report.md").write_text(f"# Repair\n\n{outcome.status}: {outcome.message}\n")
    scrub_secrets(out, secrets)
    github_output = env.get("GITHUB_OUTPUT")
    if github_output:
        with open(github_output, "a", encoding="utf-8") as handle:
            handle.write(f"status={outcome.status}\nbranch={outcome.branch or ''}\n"
                         f"pull-request-url={outcome.pull_request_url or ''}\n")
    return outcome


def _clear_outputs(out: Path) -> None:
    # A stale patch from an earlier run must not be uploaded as this run's.
    for name in OUTPUT_FILES:
        with contextlib.suppress(FileNotFoundError):
            (out / name).unlink()
    # Like .pytest_cache: the outputs are artifacts, never something to commit by accident.
    out.mkdir(parents=True, exist_ok=True)
    (out / ".gitignore").write_text("# written by repair ci: its outputs are artifacts, not sources\n*\n")


def _dig(data: Mapping[str, Any], *keys: str) -> Any:
    current: Any = data
    for key in keys:
        if not isinstance(current, Mapping):
            return None
        current = current.get(key)
    return current


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 40].rstrip() + "\n\n…(truncated; see the artifact)\n"


__all__ = ["CiOptions", "CiOutcome", "run_ci"]
