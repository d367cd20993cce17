"""`repair ci`: reproduce a failing CI run, let the agent repair it, and propose the patch as a pull request.

The flow (`flow.py`), in order (each step can end it):
1. never act on the agent's own branches or PRs (`repair/...`), so a repair cannot trigger a repair (`event.py`);
2. check what the remote steps need before any work: the token, the repository as the API sees it, the git
   remote, and who commits (the Actions bot on a runner, the checkout's git identity elsewhere);
3. reproduce the failure in a workspace copy: passing tests mean "nothing to repair";
4. run the agent on the `local:` bug;
5. write `repair-ci/patch.diff`, `report.md` (`report.py`), `result.json`;
6. unless `--dry-run`: commit the patch with git plumbing (the working tree, index and current branch of the
   checkout are untouched), ask the API for the PR's base branch, push it as a new `repair/<run-id>` branch
   (`git.py`), and open a PR into the failing branch.
Tokens stay out of what the repository's code can see, and out of every file written (`scrub.py`).
"""

from repair.ci.event import own_run_reason
from repair.ci.flow import check_patch_paths, run_ci
from repair.ci.git import commit_identity, commit_patch, push_branch
from repair.ci.options import CiOptions, CiOutcome
from repair.ci.scrub import redact

__all__ = ["CiOptions", "CiOutcome", "check_patch_paths", "commit_identity", "commit_patch", "own_run_reason",
           "push_branch", "redact", "run_ci"]
