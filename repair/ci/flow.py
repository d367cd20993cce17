"""The `repair ci` flow: checks before any work, reproduce, repair, write the outputs, push, open the PR."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repair.checkout import CheckedOutBug, check_out
from repair.ci.event import failing_branch, is_fork_run, make_run_id, own_run_reason, read_event, workflow_failed
from repair.ci.git import BRANCH_PREFIX, commit_identity, commit_patch, current_branch, git, push_branch
from repair.ci.options import CiOptions, CiOutcome
from repair.ci.report import PR_BODY_LIMIT, build_report, clip, commit_message, pr_title, review_report
from repair.ci.scrub import MODEL_KEY_VARS, TOKEN_VARS, hidden_env, redact
from repair.containers.secrets_filter import scrub_secrets, secret_values
from repair.datasets.bug import Bug
from repair.datasets.local import detect_test_command
from repair.datasets.registry import DatasetOptions
from repair.errors import PatchRefusedError, RepairError
from repair.fix_run import FixOptions, run_fix
from repair.github_api import GitHubClient, parse_repository
from repair.model_spec import make_model
from repair.models import load_prices
from repair.patch import Patch
from repair.patch_rules import DirectoryTree
from repair.runners import TestReport

CI_DIR = "repair-ci"
OUTPUT_FILES = ("patch.diff", "report.md", "result.json")

Say = Callable[[str], None]


@dataclass(frozen=True)
class CiRun:
    """What the steps after the checks share: the options, the checkout, where outputs go, how the tests run,
    the event and environment (the only holders of the token once it is hidden), the GitHub client."""

    options: CiOptions
    root: Path
    out: Path
    test_cmd: str
    event: Mapping[str, Any]
    env: Mapping[str, str]
    client: GitHubClient | None
    say: Say


def run_ci(options: CiOptions, env: Mapping[str, str] | None = None, say: Say = print) -> CiOutcome:
    """Run the whole `repair ci` flow in the checkout `options.repo` (see the package docstring)."""
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
    run = CiRun(options=options, root=root, out=out, test_cmd=test_cmd, event=event, env=env, client=client,
                say=say)
    with hidden_env(TOKEN_VARS):
        return _repair_and_propose(run)


def _repair_and_propose(run: CiRun) -> CiOutcome:
    """Steps 3 to 6; the token is out of the environment, and only `run.client` and `run.env` hold it."""
    run.say(f"reproducing the failure: {run.test_cmd}")
    with hidden_env(MODEL_KEY_VARS):
        checked = reproduce(run.root, run.test_cmd, run.options.backend)
    try:
        return _repair_reproduced(run, checked)
    finally:
        checked.close()


def _repair_reproduced(run: CiRun, checked: CheckedOutBug) -> CiOutcome:
    """Steps 4 to 6, in the workspace where the failure was reproduced (the tests are not run again)."""
    options, root, out, test_cmd, env = run.options, run.root, run.out, run.test_cmd, run.env
    bug, baseline = checked.bug, checked.baseline or TestReport()
    unreproduced = judge_baseline(baseline, test_cmd, workflow_failed(run.event), out)
    if unreproduced is not None:
        return _finish(unreproduced, {"test_command": test_cmd, "baseline": baseline.summary()}, env)

    model = make_model(options.model, options.base_url, load_prices(None))  # reads the API key, if any
    run_id = make_run_id(env)
    run.say(f"{len(bug.failing_tests)} failing test(s): {', '.join(bug.failing_tests[:5])}; running the agent "
            f"({model.name}, at most {options.max_seconds:g} s)")
    fix_options = FixOptions(bug_id=f"local:{root}", model=options.model, base_url=options.base_url,
                             max_seconds=options.max_seconds, max_cycles=options.max_cycles,
                             max_tokens=options.max_tokens, budget_usd=options.budget_usd,
                             runs_dir=str(out / "runs"), test_cmd=test_cmd,
                             backend=options.backend, web=options.web)
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
            review = review_report(fixed.run_dir)  # what the agent tried, for the job summary
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
    base = options.base or failing_branch(env, run.event, root)
    if base and (base == branch or base.startswith(BRANCH_PREFIX)):
        raise RepairError(f"refusing to propose a patch into {base}: it is one of repair ci's own branches")
    pr_base = None
    if run.client is not None:
        # The API answers before anything is pushed: a branch is never left behind without its pull request
        # because the token, the repository or the API turned out to be wrong.
        pr_base = base or run.client.default_branch(env["GITHUB_REPOSITORY"])
    commit = commit_patch(root, patch, commit_message(bug, run_id), commit_identity(root, env))
    run.say(f"pushing {branch} to {options.remote}")
    push_branch(root, options.remote, commit, branch, secret_values(env))
    record.update(branch=branch, commit=commit)
    if run.client is None or pr_base is None:
        outcome = CiOutcome("pushed", f"pushed {branch}; no pull request (--no-open-pr)", 0, out, patch, branch)
        return _finish(outcome, record, env)

    pull = run.client.create_pull(env["GITHUB_REPOSITORY"], pr_title(bug), branch, pr_base,
                                  clip(report, PR_BODY_LIMIT))
    record.update(base=pr_base, pull_request={"number": pull.number, "url": pull.url})
    outcome = CiOutcome("pr-opened", f"opened pull request #{pull.number} {pull.url} ({branch} → {pr_base})", 0,
                        out, patch, branch, pull.url)
    return _finish(outcome, record, env)


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
        client.default_branch(env["GITHUB_REPOSITORY"])  # the token reaches the repository through the API
    if options.pushes:
        top = git(root, "rev-parse", "--show-toplevel")
        if not top.ok or Path(top.stdout.strip()).resolve() != root:
            raise RepairError(f"{root} is not the root of a git checkout: run repair ci at the repository root "
                              "(or pass --dry-run)")
        if not git(root, "rev-parse", "--verify", "-q", "HEAD").ok:
            raise RepairError(f"{root} has no commit yet: pushing a branch needs one (or pass --dry-run)")
        if not git(root, "remote", "get-url", options.remote).ok:
            raise RepairError(f"the checkout has no git remote '{options.remote}' to push the repair branch to "
                              "(or pass --dry-run)")
        commit_identity(root, env)  # who commits is known before any work
    return client


def reproduce(root: Path, test_cmd: str, backend: str = "local") -> CheckedOutBug:
    """Run the tests once in a workspace copy of `root`: the bug with its failing tests and the report.

    The caller closes the workspace; the agent works in it afterwards.
    """
    return check_out(f"local:{root}", DatasetOptions(test_cmd=test_cmd), backend=backend)


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


def check_patch_paths(patch: str, bug: Bug, root: Path, out: Path) -> None:
    """Re-check, before anything is committed, that the patch changes only the bug's sources (`PatchRules`)."""
    parsed = Patch.parse(patch)
    with contextlib.suppress(ValueError):
        ours = out.relative_to(root).as_posix()
        for path in parsed.changed_paths():
            if path == ours or path.startswith(ours + "/"):
                raise PatchRefusedError(f"refused: {path} is in repair ci's own output folder")
    bug.patch_rules().check(parsed, DirectoryTree(root))


def _finish(outcome: CiOutcome, record: dict[str, Any], env: Mapping[str, str]) -> CiOutcome:
    """Write result.json (and report.md when there is no patch report) and the step outputs."""
    out = outcome.out_dir
    out.mkdir(parents=True, exist_ok=True)
    secrets = secret_values(env)
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
