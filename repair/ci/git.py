"""Git for `repair ci`: commit a patch without touching the checkout, push it as a new `repair/` branch."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path

from repair.ci.scrub import redact
from repair.containers.process import CommandResult, run_process
from repair.errors import PatchError, RepairError
from repair.patch import Patch

BRANCH_PREFIX = "repair/"  # repair ci's own branches: it pushes only these, and never repairs them
GIT_TIMEOUT = 120.0
BOT_NAME = "github-actions[bot]"
BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"


def commit_identity(root: Path, env: Mapping[str, str]) -> dict[str, str]:
    """Who commits the patch: the Actions bot on a GitHub Actions runner, elsewhere the checkout's own git
    identity (`git config user.name` and `user.email`); RepairError when that identity is not set."""
    if env.get("GITHUB_ACTIONS") == "true":
        return {"GIT_AUTHOR_NAME": BOT_NAME, "GIT_AUTHOR_EMAIL": BOT_EMAIL,
                "GIT_COMMITTER_NAME": BOT_NAME, "GIT_COMMITTER_EMAIL": BOT_EMAIL}
    name, email = git(root, "config", "user.name"), git(root, "config", "user.email")
    if not (name.ok and name.stdout.strip() and email.ok and email.stdout.strip()):
        raise RepairError("outside GitHub Actions, repair ci commits the patch as you: set git config user.name "
                          "and user.email (or pass --dry-run)")
    identity = {"GIT_AUTHOR_NAME": name.stdout.strip(), "GIT_AUTHOR_EMAIL": email.stdout.strip()}
    return {**identity, "GIT_COMMITTER_NAME": identity["GIT_AUTHOR_NAME"],
            "GIT_COMMITTER_EMAIL": identity["GIT_AUTHOR_EMAIL"]}


def commit_patch(root: Path, patch: str, message: str, identity: Mapping[str, str]) -> str:
    """A commit of HEAD + `patch` by `identity` (see `commit_identity`), built with plumbing in a private
    index; returns its sha.

    The working tree, the index and the current branch of the checkout stay as they are.
    """
    head = git_out(root, "rev-parse", "HEAD")
    parsed = Patch.parse(patch)

    def read(path: str) -> str | None:
        shown = git(root, "show", f"HEAD:{path}")
        return shown.stdout if shown.ok else None

    try:
        applied = parsed.apply_to_texts(read)
    except PatchError as exc:
        raise RepairError(f"the patch does not apply to HEAD {head[:12]} (uncommitted changes in the checkout?): "
                          f"{exc}") from None
    deleted = {p for p, f in zip(parsed.changed_paths(), parsed.files, strict=True) if f.delete}
    with tempfile.TemporaryDirectory(prefix="repair-ci-index-") as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        git_out(root, "read-tree", "HEAD", env=env)
        for path, content in applied.files.items():
            if path in deleted:
                git_out(root, "update-index", "--force-remove", "--", path, env=env)
                continue
            blob = git_out(root, "hash-object", "-w", "--stdin", stdin=content)
            staged = git_out(root, "ls-files", "-s", "--", path, env=env)
            mode = staged.split()[0] if staged else "100644"
            git_out(root, "update-index", "--add", "--cacheinfo", f"{mode},{blob},{path}", env=env)
        tree = git_out(root, "write-tree", env=env)
    return git_out(root, "commit-tree", tree, "-p", head, "-F", "-", env=identity, stdin=message)


def push_branch(root: Path, remote: str, commit: str, branch: str, secrets: list[str]) -> None:
    """Push `commit` as the new branch `branch`; never forced, so an existing branch is never overwritten."""
    if not branch.startswith(BRANCH_PREFIX):
        raise RepairError(f"refusing to push to {branch}: repair ci pushes only {BRANCH_PREFIX}* branches")
    pushed = git(root, "push", "--porcelain", remote, f"{commit}:refs/heads/{branch}", timeout=300)
    if not pushed.ok:
        detail = redact(pushed.output.strip().splitlines()[-1] if pushed.output.strip() else "", secrets)
        raise RepairError(f"git push of {branch} to {remote} failed: {detail or 'no output'} (does the workflow "
                          "have `permissions: contents: write`?)")


def current_branch(root: Path) -> str | None:
    """The checked-out branch; None when HEAD is detached (as in a checkout of a failing run's sha)."""
    result = git(root, "symbolic-ref", "--short", "-q", "HEAD")
    if not result.ok:
        return None
    return result.stdout.strip() or None


def git(root: Path, *args: str, env: Mapping[str, str] | None = None, stdin: str | None = None,
        timeout: float = GIT_TIMEOUT) -> CommandResult:
    """`git *args` in `root`; RepairError when git cannot start."""
    # No prompt may wait for a password on a CI runner.
    full_env = {"GIT_TERMINAL_PROMPT": "0", **(env or {})}
    try:
        return run_process(["git", *args], cwd=root, timeout=timeout, env=full_env, stdin=stdin,
                           project_code=False)
    except OSError as exc:
        raise RepairError(f"cannot run git: {exc}") from None


def git_out(root: Path, *args: str, env: Mapping[str, str] | None = None, stdin: str | None = None) -> str:
    """The stripped output of `git *args`; RepairError when it fails."""
    result = git(root, *args, env=env, stdin=stdin)
    if not result.ok:
        raise RepairError(f"git {args[0]} failed: {result.output.strip()[:300]}")
    return result.stdout.strip()
