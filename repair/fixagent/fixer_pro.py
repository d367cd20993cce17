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
        # Only a diff goes in a diff fence: a reply without one is shown as the text it was, its own fences
        # defused so that it cannot pose as one.
        body = f"```diff\n{patch.diff.strip()}\n```" if patch.is_diff else \
            "The reply held no diff; it read:\n" + "\n".join(f"> {line}" for line in patch.diff.strip().splitlines())
        parts.append(f"### Patch {number}\n{body}\nVerdict: {patch.verdict.strip()}")
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
