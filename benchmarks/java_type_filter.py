"""The type filter on real Defects4J bugs: candidates before and after, and whether javac agrees with each drop.

For each bug, at every line its human fix changes, the templates run twice: without type facts
(what the search validated before) and with them (the receiver's own methods for calls, and
ill-typed candidates dropped). Every candidate of both runs is then compiled, alone, against the
built project (javac in the warm worker), to count how many of each set fail to compile, and
whether any dropped candidate would in fact have compiled (a false drop).

    export PATH="/opt/d4j/shim:/opt/d4j/framework/bin:$PATH" TZ=America/Los_Angeles
    python benchmarks/java_type_filter.py [--bugs Cli-1 Cli-5 Codec-2 Codec-4]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

from defects4j_fixes import changed_lines, human_fix

from repair.checkout import check_out
from repair.fast_validation import make_fast_runner
from repair.offline.templates import Candidate, propose
from repair.offline.type_check import JavaTypeChecker
from repair.offline.type_facts import type_facts_for
from repair.runners.fast_java import ProjectJavaRunner


def compile_errors(runner: ProjectJavaRunner, workspace, texts: dict[str, tuple[str, str]]) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """new text -> '' when it compiles, else javac's first line; `texts` maps new text to (file, old text)."""
    out: dict[str, str] = {}
    for new, (file, old) in texts.items():
        workspace.write_file(file, new)
        try:
            out[new] = runner.compile_error(file)
        finally:
            workspace.write_file(file, old)
    return out


def measure(bug_id: str) -> Counter[str]:
    checked = check_out(f"defects4j:{bug_id}", discover_failing=False)
    totals: Counter[str] = Counter()
    try:
        ws, bug = checked.workspace, checked.bug
        fix = human_fix(checked)
        runner = make_fast_runner(ws, bug)
        assert isinstance(runner, ProjectJavaRunner), "needs a built Defects4J checkout"
        runner.prepare()  # builds the project once (the facts and javac read its classes)
        facts = type_facts_for(ws, bug)
        assert facts is not None
        checker = JavaTypeChecker(facts)
        before: list[Candidate] = []
        after: list[Candidate] = []
        dropped: list[tuple[Candidate, str]] = []
        start = time.monotonic()
        typed_seconds = 0.0
        for where in changed_lines(fix):
            if not ws.exists(where.file):
                continue
            text = ws.read_file(where.file)
            before += propose("java", text, where.line, where.file).candidates
            t0 = time.monotonic()
            typed = propose("java", text, where.line, where.file, checker)
            typed_seconds += time.monotonic() - t0
            after += typed.candidates
            dropped += [(c, r) for c, r in typed.dropped if r.startswith("ill-typed")]
        generation_s = time.monotonic() - start
        facts.close()
        texts = {c.new_text: (c.file, c.old_text) for c in before + after + [c for c, _ in dropped]}
        errors = compile_errors(runner, ws, texts)
        failing_before = sum(1 for c in before if errors[c.new_text])
        failing_after = sum(1 for c in after if errors[c.new_text])
        after_texts = {c.new_text for c in after}
        # A candidate the untyped run made and the typed run did not keep, that javac compiles: a false drop.
        false_drops = [c for c in before if c.new_text not in after_texts and not errors[c.new_text]]
        reasons = Counter(r for _, r in dropped)
        wrong_drops = [(c, r) for c, r in dropped if not errors[c.new_text]]  # javac compiles it
        print(f"{bug_id}: {len(changed_lines(fix))} changed lines")
        print(f"  without types: {len(before)} candidates, {failing_before} do not compile")
        print(f"  with types:    {len(after)} candidates, {failing_after} do not compile; "
              f"{len(dropped)} dropped as ill-typed ({', '.join(f'{r[10:]} {n}' for r, n in reasons.most_common())})")
        print(f"  dropped as ill-typed but javac compiles them: {len(wrong_drops)}; "
              f"untyped candidates not kept that javac compiles: {len(false_drops)}; "
              f"generation {generation_s:.1f}s (typed {typed_seconds:.1f}s)")
        for c, r in wrong_drops[:5]:
            print(f"    wrongly dropped ({r}): {c.file}:{c.line} {c.template}: {c.description}")
        for c in false_drops[:5]:
            print(f"    not generated any more: {c.file}:{c.line} {c.template}: {c.description}")
        for c in [c for c in after if errors[c.new_text]][:3]:
            first = errors[c.new_text].splitlines()[0][:160]
            print(f"    kept, does not compile: {c.template}: {c.description}: {first}")
        totals.update(before=len(before), failing_before=failing_before, after=len(after),
                      failing_after=failing_after, dropped=len(dropped), wrong_drops=len(wrong_drops),
                      false_drops=len(false_drops))
        runner.close()
        return totals
    finally:
        checked.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bugs", nargs="+", default=["Cli-1", "Cli-5", "Codec-2", "Codec-4"])
    args = parser.parse_args()
    totals: Counter[str] = Counter()
    for bug_id in args.bugs:
        totals += measure(bug_id)
    print(f"all: without types {totals['before']} candidates ({totals['failing_before']} do not compile); "
          f"with types {totals['after']} ({totals['failing_after']} do not compile), "
          f"{totals['dropped']} dropped as ill-typed ({totals['wrong_drops']} of them compile), "
          f"{totals['false_drops']} untyped candidates lost that compile")


if __name__ == "__main__":
    main()
