"""FixerPro (L2): reviews failed patches with their test failures, then refines one or writes a new one."""

from __future__ import annotations

from repair.fixagent.inputs import BuggyFile, Draft, ReviewedPatch
from repair.fixagent.prompting import ask, section
from repair.fixagent.reply_parsing import extract_diff
from repair.fixagent.slicer import Slice
from repair.fixagent.summarizer import Summaries
from repair.models.base import Model

MAX_REVIEWED = 4  # the latest patches; older ones add tokens, rarely insight


def review_text(reviewed: list[ReviewedPatch]) -> str:
    """The earlier patches, oldest first, each with its verdict."""
    shown = reviewed[-MAX_REVIEWED:]
    skipped = len(reviewed) - len(shown)
    parts = [f"({skipped} older patches not shown)"] if skipped else []
    for number, patch in enumerate(shown, start=skipped + 1):
        parts.append(f"### Patch {number}\n```diff\n{patch.diff.strip()}\n```\nVerdict: {patch.verdict.strip()}")
    return "\n\n".join(parts) or "(no earlier patch)"


def refine(model: Model, file: BuggyFile, snippet: Slice, summaries: Summaries, reviewed: list[ReviewedPatch],
           failures: str) -> Draft:
    """Ask for a better patch of `file`, given the failed ones."""
    call = ask(model, "fixer_pro", [
        section(f"Suspicious snippet of {file.path} ({file.language}), lines {snippet.first}-{snippet.last}",
                snippet.text),
        section("Function summaries", summaries.text()),
        section("Failing tests", failures),
        section("Earlier patches and why they failed", review_text(reviewed), limit=12000),
        f"Review the last patch, then answer with one unified diff of {file.path} in a ```diff block.",
    ])
    diff = extract_diff(call.text)
    return Draft(diff, call, "" if diff else "FixerPro's reply holds no unified diff")
