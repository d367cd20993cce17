"""The offline search: suspicious lines in fault-localisation order, template candidates per line.

Each candidate has a simple prior, `score = TEMPLATE_PRIOR[t] / (1 + edit_size / 20)`: how often the
template family fixed bugs in TBar's evaluation on Defects4J (Liu et al., ISSTA 2019, Table 5:
conditions and operators first, then variables, null checks, method calls, literals and inserted
statements; moves, removals and casts last), divided by the size of the edit, since the smaller of two
equally likely fixes is more often right (ssFix, SimFix).

The search walks the whole fault-localisation ranking, best first across lines: a candidate's priority
is its prior times its line's weight (the line's suspiciousness relative to the top line's, times
`RANK_DECAY` per line ranked strictly above it), so a small operator change on the 15th line comes before
a copied statement on the first. Lines are read lazily: a line's candidates are made only once its best
possible candidate could come next. Candidates that are the same program as one already tried are
skipped. The search stops at the first plausible patch unless `all_plausible`, when the ranking is
exhausted, or when the candidate or time budget runs out; `SearchStats` says how deep it went.

With a `JavaTypeChecker`, Java candidates that cannot compile are dropped before validation. Every
candidate ends up in `SearchOutcome.records` (dropped, duplicate, failed to compile, tested,
plausible) and in the counts of `SearchStats`.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from repair.containers.workspace import Workspace
from repair.errors import WorkspaceError
from repair.fast_validation import syntax_key
from repair.offline.pairs import is_partial, pair_candidates
from repair.offline.reviewer import suspicion
from repair.offline.stats import CandidateRecord, SearchStats
from repair.offline.templates import Candidate, Generation, propose
from repair.offline.type_check import JavaTypeChecker
from repair.patch import Patch
from repair.syntax import language_of, parse
from repair.validation import ValidationResult

# Relative frequency of each template family among TBar's fixes (rounded; they need not sum to 1).
# `base-case` is not a TBar family and has no measured frequency: it is placed with the inserted checks.
TEMPLATE_PRIOR: dict[str, float] = {
    "operator": 0.20,
    "condition-negate": 0.10,
    "condition-drop-clause": 0.08,
    "condition-add-clause": 0.06,
    "variable": 0.12,
    "swap-arguments": 0.08,
    "compound-assignment": 0.06,
    "literal": 0.08,
    "method": 0.07,
    "base-case": 0.06,
    "null-check": 0.05,
    "return": 0.04,
    "insert-copied": 0.04,
    "range-check": 0.03,
    "remove-statement": 0.02,
    "move-statement": 0.02,
    "cast": 0.02,
    # The families with donor code (`donor_templates`), placed by the TBar family each extends.
    "shift-by-one": 0.06,
    "attribute": 0.06,
    "emptiness-check": 0.05,
    "expression-replace": 0.05,
    "swap-operands": 0.05,
    "collection-literal": 0.05,
    "boolean-expression": 0.04,
    "wrap-call": 0.04,
    "expression-reduce": 0.04,
    "insert-call": 0.04,
    "redirect-write": 0.04,
    "join-list": 0.03,
    "insert-adapted": 0.03,
    "iterate-rest": 0.03,
    "insert-assignment": 0.02,
    "square": 0.01,
    "boundary": 0.02,
}
PAIR_SHARE = 0.25  # of the budget, kept for pairs of partial candidates when no single edit is plausible
MAX_RETRIES = 6  # candidates that failed only by a timeout, judged again when no plausible patch was found
MAX_RANKED = 20  # plausible patches result.json lists, best first (with --all-plausible)
LOOK_FURTHER = 40  # candidates of its line, then of the others, tried after a suspect plausible patch
EDIT_SIZE_SCALE = 20.0  # characters; an edit this long halves a template's prior
PAIRS_AFTER = 8  # candidates validated one by one before the next in line is judged alongside (a second worker)
RANK_DECAY = 0.9  # a line's weight shrinks by this factor per line ranked strictly above it
MAX_PRIOR = max(TEMPLATE_PRIOR.values())  # no candidate scores higher: bounds the lines not yet read


class Location(Protocol):
    """A suspicious line: FL's `Suspicious`, a dataset's `Location`, or anything with these two."""

    @property
    def file(self) -> str: ...

    @property
    def line(self) -> int: ...


@runtime_checkable
class ScoredLocation(Location, Protocol):
    """A suspicious line with fault localization's score (`Suspicious`)."""

    @property
    def score(self) -> float: ...


class CandidateValidator(Protocol):
    def validate(self, patch: Patch | str, full: bool = True) -> ValidationResult: ...


@runtime_checkable
class PrecompilingValidator(CandidateValidator, Protocol):
    """A validator that can compile many candidates ahead, together (`FastPatchValidator`)."""

    def precompile(self, variants: Sequence[Mapping[str, str]]) -> None: ...


@runtime_checkable
class PairValidator(CandidateValidator, Protocol):
    """A validator that can judge two candidates at once, on two workers (`FastPatchValidator`)."""

    def can_pair(self) -> bool:
        """Whether `validate_many` runs two at once now (a second worker is there, or can be started)."""
        ...

    def validate_many(self, patches: Sequence[Patch | str], full: bool = True) -> list[ValidationResult]: ...


@runtime_checkable
class TimedValidator(CandidateValidator, Protocol):
    """A validator that keeps its compile and test seconds (`FastPatchValidator`), for the time split."""

    compile_seconds: float
    test_seconds: float


@dataclass(frozen=True)
class SearchBudget:
    """Limits of one search: candidates validated, wall-clock seconds, and (None: the whole ranking)
    the suspicious lines it may visit; and the seconds it may spend after them re-judging candidates that
    failed only by a timeout (`search`'s `patient` validator)."""

    max_candidates: int = 500
    max_seconds: float = 300.0
    max_lines: int | None = None
    retry_seconds: float = 60.0  # after the budget: candidates that only timed out, judged again with patience


@dataclass
class Attempt:
    candidate: Candidate
    result: ValidationResult


@dataclass
class SearchOutcome:
    """What the search tried and found; `plausible` is in the order found."""

    plausible: list[Attempt] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    stats: SearchStats = field(default_factory=SearchStats)
    records: list[CandidateRecord] = field(default_factory=list)  # every candidate, in the order met
    stopped: str = "exhausted"  # exhausted | plausible | candidates | seconds

    @property
    def best(self) -> Attempt | None:
        return self.plausible[0] if self.plausible else None


def score(candidate: Candidate) -> float:
    """The ranking prior of one candidate (higher first)."""
    return TEMPLATE_PRIOR.get(candidate.template, 0.01) / (1.0 + candidate.edit_size / EDIT_SIZE_SCALE)


def rank(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Candidates by descending prior; ties keep the templates' order."""
    return sorted(candidates, key=score, reverse=True)


def candidates_at(workspace: Workspace, location: Location, checker: JavaTypeChecker | None = None) -> list[Candidate]:
    """The ranked candidates for one suspicious line ([] for a file the templates do not know)."""
    return proposals_at(workspace, location, checker).candidates


def proposals_at(workspace: Workspace, location: Location, checker: JavaTypeChecker | None = None) -> Generation:
    """The ranked candidates for one suspicious line and those dropped before validation (with why)."""
    language = language_of(location.file)
    if language is None:
        return Generation()
    try:
        text = workspace.read_file(location.file)
    except WorkspaceError:
        return Generation()
    made = propose(language, text, int(location.line), location.file, checker)
    made.candidates = rank(made.candidates)
    return made


def unique_lines(locations: Iterable[Location], is_test_path: Callable[[str], bool] | None = None,
                 limit: int | None = None) -> list[tuple[str, int]]:
    """(file, line) pairs in the given order, first occurrence only, test files left out."""
    return [(line.file, line.line) for line in ranked_lines(locations, is_test_path, limit)]


@dataclass(frozen=True)
class RankedLine:
    """A line of the ranking the search walks: where it is, its place (1-based) and its weight."""

    file: str
    line: int
    rank: int
    weight: float


def ranked_lines(locations: Iterable[Location], is_test_path: Callable[[str], bool] | None = None,
                 limit: int | None = None) -> list[RankedLine]:
    """The ranking's lines in order, first occurrence only, test files left out, with their weights.

    With FL scores a line weighs its score over the top line's, times `RANK_DECAY` for each line scored
    strictly higher (lines that tie weigh the same); without scores, `RANK_DECAY` per place. Weights never
    grow down the ranking.
    """
    kept: list[tuple[str, int, float | None]] = []
    seen: set[tuple[str, int]] = set()
    for loc in locations:
        key = (loc.file, int(loc.line))
        if key in seen or (is_test_path is not None and is_test_path(loc.file)):
            continue
        seen.add(key)
        kept.append((key[0], key[1], float(loc.score) if isinstance(loc, ScoredLocation) else None))
        if limit is not None and len(kept) >= limit:
            break
    scores = [score for _, _, score in kept]
    scored = all(score is not None and score > 0 for score in scores) and bool(scores)
    top = max((score or 0.0 for score in scores), default=0.0)
    out: list[RankedLine] = []
    above = 0
    for index, (file, line, line_score) in enumerate(kept):
        if scored and line_score is not None:
            if index and line_score < (kept[index - 1][2] or 0.0):
                above = index
            weight = (line_score / top) * RANK_DECAY ** above
        else:
            weight = RANK_DECAY ** index
        if out:
            weight = min(weight, out[-1].weight)
        out.append(RankedLine(file, line, index + 1, weight))
    return out


_HEADERS = ("while_statement", "for_statement", "enhanced_for_statement", "do_statement", "if_statement")


def with_enclosing_headers(workspace: Workspace, ranking: list[RankedLine]) -> list[RankedLine]:
    """The ranking with, after each line, the header lines of the (two innermost) loops and ifs around it that
    the ranking lacks: a loop condition such as `while (true)` compiles to no instruction of its own line, so
    coverage never ranks it, yet it is often what is wrong. A header weighs what the line after it does, or
    `RANK_DECAY` times the line's weight when that is more (so weights never grow down the ranking)."""
    present = {(line.file, line.line) for line in ranking}
    trees: dict[str, list[tuple[int, int, int]]] = {}
    out: list[RankedLine] = []
    for index, line in enumerate(ranking):
        out.append(line)
        spans = trees.get(line.file)
        if spans is None:
            spans = trees[line.file] = _statement_spans(workspace, line.file)
        enclosing = [(start, end, header) for start, end, header in spans if start < line.line <= end]
        enclosing.sort(key=lambda span: -span[0])  # innermost first
        following = ranking[index + 1].weight if index + 1 < len(ranking) else 0.0
        for _, _, header in enclosing[:2]:
            if (line.file, header) not in present:
                present.add((line.file, header))
                out.append(RankedLine(line.file, header, line.rank, max(following, line.weight * RANK_DECAY)))
    return out


def _statement_spans(workspace: Workspace, file: str) -> list[tuple[int, int, int]]:
    """(first line, last line, header line) of every loop and if of a file (1-based; [] when unreadable)."""
    language = language_of(file)
    if language is None:
        return []
    try:
        text = workspace.read_file(file)
    except WorkspaceError:
        return []
    spans = []
    stack = [parse(language, text).root_node]
    while stack:
        node = stack.pop()
        if node.type in _HEADERS:
            header = node.end_point[0] if node.type == "do_statement" else node.start_point[0]
            spans.append((node.start_point[0] + 1, node.end_point[0] + 1, header + 1))
        stack.extend(node.children)
    return spans


@dataclass(frozen=True)
class SourceLine:
    """A `Location` of the search's own: a line it visits when fault localization named none."""

    file: str
    line: int


def search(workspace: Workspace, locations: Iterable[Location], validator: CandidateValidator,
           budget: SearchBudget | None = None, all_plausible: bool = False,
           is_test_path: Callable[[str], bool] | None = None,
           on_attempt: Callable[[Attempt], None] | None = None, skip: set[str] | None = None,
           checker: JavaTypeChecker | None = None, patient: CandidateValidator | None = None) -> SearchOutcome:
    """Validate template candidates best first across the ranking until a plausible patch (or all of them),
    the end of the ranking, or the budget.

    Single edits come first. When they have used `1 - PAIR_SHARE` of the budget, or are exhausted, with no
    plausible patch but with partial candidates (some failing tests pass), pairs of the best partials are
    tried (`pairs`); then the single edits resume. A plausible patch that is suspect (`reviewer.suspicion`:
    it deletes behaviour, ...) does not end the search at once: up to `LOOK_FURTHER` more candidates of its
    line are tried for one that is not, then as many of the other lines' (the fix may be elsewhere: a
    statement the suspect patch did without). `outcome.plausible` is ordered best first (`preference`).

    A pre-screening validator's short per-test limit can fail a right candidate on a busy machine: when the
    search ends with no plausible patch, the best `MAX_RETRIES` candidates that failed only by timing out
    are judged again by `patient` (the run's own validator, with the full limit) within
    `budget.retry_seconds`.

    `skip` holds `syntax_key`s of programs already tried (by an earlier search); they are not tried again.
    """
    budget = budget or SearchBudget()
    walk = _Walk(workspace, validator, budget, outcome=SearchOutcome(), checker=checker, on_attempt=on_attempt,
                 seen_programs=set(skip or ()))
    outcome, stats = walk.outcome, walk.outcome.stats
    ranking = with_enclosing_headers(workspace, ranked_lines(locations, is_test_path, budget.max_lines))
    stats.ranked_lines = len(ranking)
    # (-priority, rank, order within the line, candidate): ties go to the better-ranked line, then the
    # line's own order.
    frontier = walk.frontier
    read = 0
    share = 1.0 - PAIR_SHARE
    further: int | None = None  # candidates left to try, once a suspect plausible patch is in hand
    while True:
        while read < len(ranking) and (not frontier or -frontier[0][0] < MAX_PRIOR * ranking[read].weight):
            _read_line(workspace, ranking[read], checker, outcome, frontier, validator)
            read += 1
        stopped = "exhausted" if not frontier else walk.out_of_budget(share)
        if further is not None and further <= 0 and not stopped:
            stopped = "plausible"
        if stopped and share < 1.0 and not outcome.plausible:
            share = 1.0  # the pairs' turn, then the single edits resume with the rest of the budget
            if walk.try_pairs(all_plausible):
                break
            continue
        if stopped:
            outcome.stopped = stopped
            stats.untried += len(frontier)
            break
        _, rank_of_line, _, candidate = heapq.heappop(frontier)
        attempt = walk.attempt(candidate, rank_of_line)
        if further is not None and attempt is not None:
            further -= 1
        if attempt is None or not attempt.result.plausible or all_plausible:
            continue
        if suspicion(candidate):
            if further is None and not walk.look_further(candidate, frontier):
                further = LOOK_FURTHER  # the other lines' turn, best first, for a patch that is not suspect
            if further is not None:
                continue
        outcome.stopped = "plausible"
        stats.untried += len(frontier)
        break
    if not outcome.plausible and patient is not None:
        walk.retry_timeouts(patient)
    outcome.plausible.sort(key=lambda a: preference(a.candidate))
    if outcome.plausible and not all_plausible:
        outcome.stopped = "plausible"
    if outcome.plausible:
        stats.chosen = review_of(outcome.plausible[0].candidate)
        stats.ranked_plausible = [{**review_of(a.candidate), "diff": a.candidate.diff()}
                                  for a in outcome.plausible[:MAX_RANKED]]
    return outcome


def timed_out(result: ValidationResult) -> bool:
    """A candidate whose only failures were timeouts (it may be right, on a busy machine)."""
    details = [message.lower() for message in result.failure_details.values()]
    return result.status == "not-plausible" and bool(details) and all(
        "timed out" in message or "timeout" in message for message in details)


def preference(candidate: Candidate) -> tuple[bool, float]:
    """How a reviewer orders plausible patches (smaller first): one that is not suspect (`reviewer.suspicion`:
    it deletes behaviour, ...) before one that is, then the most natural (the higher prior, which falls with
    the edit's size)."""
    return bool(suspicion(candidate)), -score(candidate)


def review_of(candidate: Candidate) -> dict[str, object]:
    """What the report says of a plausible patch: where it is, what made it, and whether it is suspect."""
    why = suspicion(candidate)
    return {"file": candidate.file, "line": candidate.line, "template": candidate.template,
            "description": candidate.description, "likely_overfitting": bool(why), "why": why}


@dataclass
class _Walk:
    """The state one search shares between its single edits and its pairs: what it validated and found."""

    workspace: Workspace
    validator: CandidateValidator
    budget: SearchBudget
    outcome: SearchOutcome
    checker: JavaTypeChecker | None
    on_attempt: Callable[[Attempt], None] | None
    seen_programs: set[str]
    start: float = field(default_factory=time.monotonic)
    partials: list[tuple[Candidate, ValidationResult, float]] = field(default_factory=list)
    timeouts: list[tuple[float, int, Candidate]] = field(default_factory=list)
    paired: bool = False
    frontier: list[tuple[float, int, int, Candidate]] = field(default_factory=list)

    def out_of_budget(self, share: float = 1.0) -> str:
        """"candidates" or "seconds" once `share` of that budget is spent, else ""."""
        if len(self.outcome.attempts) >= self.budget.max_candidates * share:
            return "candidates"
        if time.monotonic() - self.start >= self.budget.max_seconds * share:
            return "seconds"
        return ""

    def attempt(self, candidate: Candidate, rank_of_line: int, priority: float | None = None) -> Attempt | None:
        """Validate one candidate (None: the same program as one tried before) and record it."""
        stats = self.outcome.stats
        t1 = time.monotonic()
        key = syntax_key({candidate.file: candidate.new_text})
        stats.generation_seconds += time.monotonic() - t1
        if key in self.seen_programs:
            stats.duplicates += 1
            self.outcome.records.append(_record(candidate, "duplicate", "the same program as a candidate tried before"))
            return None
        self.seen_programs.add(key)
        stats.deepest_rank = max(stats.deepest_rank, rank_of_line)
        # A long search judges the next in line alongside, on a second worker where the validator has one; its
        # verdict waits in the validator's cache for its turn, so the search's course is the one-by-one one.
        ahead = self.frontier[0][3] if self.frontier and len(self.outcome.attempts) >= PAIRS_AFTER else None
        attempt = Attempt(candidate, _validate(self.validator, candidate, stats, ahead))
        record = CandidateRecord.judged(candidate.file, candidate.line, candidate.template, candidate.description,
                                        attempt.result)
        if attempt.result.plausible and suspicion(candidate):
            record.reason = f"likely overfitting: {suspicion(candidate)}"
        self.outcome.records.append(record)
        self.outcome.attempts.append(attempt)
        if self.on_attempt is not None:
            self.on_attempt(attempt)
        if attempt.result.plausible:
            self.outcome.plausible.append(attempt)
        elif is_partial(attempt.result) and "+" not in candidate.template:
            self.partials.append((candidate, attempt.result, score(candidate) if priority is None else priority))
        if timed_out(attempt.result):
            self.timeouts.append((score(candidate) if priority is None else priority, rank_of_line, candidate))
        return attempt

    def retry_timeouts(self, patient: CandidateValidator) -> None:
        """Judge the best candidates that failed only by a timeout again, with `patient`, until one is plausible."""
        stats = self.outcome.stats
        deadline = time.monotonic() + self.budget.retry_seconds
        for _, _, candidate in sorted(self.timeouts, key=lambda t: (-t[0], t[1]))[:MAX_RETRIES]:
            if time.monotonic() >= deadline:
                return
            stats.retried += 1  # counted once among `tested` already: its time and a plausible verdict count here
            t0 = time.monotonic()
            result = patient.validate(candidate.diff())
            stats.test_seconds += time.monotonic() - t0
            stats.plausible += result.plausible
            record = CandidateRecord.judged(candidate.file, candidate.line, candidate.template,
                                            candidate.description, result)
            record.reason = f"judged again with the full per-test limit: {record.reason or record.fate}"
            self.outcome.records.append(record)
            if result.plausible:
                attempt = Attempt(candidate, result)
                self.outcome.attempts.append(attempt)
                self.outcome.plausible.append(attempt)
                return

    def look_further(self, suspect: Candidate, frontier: list[tuple[float, int, int, Candidate]]) -> bool:
        """After a plausible but suspect patch, the other candidates of its line (up to `LOOK_FURTHER`), best
        first, until one is plausible and not suspect (True): the alternatives a reviewer would weigh it
        against."""
        same = sorted(entry for entry in frontier if (entry[3].file, entry[3].line) == (suspect.file, suspect.line))
        frontier[:] = [entry for entry in frontier if (entry[3].file, entry[3].line) != (suspect.file, suspect.line)]
        heapq.heapify(frontier)
        for index, (_, rank_of_line, _, candidate) in enumerate(same[:LOOK_FURTHER]):
            if self.out_of_budget():
                self.outcome.stats.untried += len(same) - index
                return False
            attempt = self.attempt(candidate, rank_of_line)
            if attempt is not None and attempt.result.plausible and not suspicion(candidate):
                self.outcome.stats.untried += len(same) - index - 1
                return True
        self.outcome.stats.untried += max(0, len(same) - LOOK_FURTHER)
        return False

    def try_pairs(self, all_plausible: bool) -> bool:
        """Validate pairs of the partial candidates while the budget lasts; True when one is plausible."""
        if self.paired or len(self.partials) < 2:
            return False
        self.paired = True
        stats = self.outcome.stats
        t0 = time.monotonic()
        pairs, dropped = pair_candidates(self.partials, self.checker)
        stats.generation_seconds += time.monotonic() - t0
        stats.partials = len(self.partials)
        stats.generated += len(pairs) + len(dropped)
        for candidate, reason in dropped:
            stats.drop(reason)
            self.outcome.records.append(_record(candidate, "dropped", reason))
        for index, candidate in enumerate(pairs):
            if self.out_of_budget():
                stats.untried += len(pairs) - index
                return False
            stats.pairs_tried += 1
            attempt = self.attempt(candidate, 0)
            if attempt is not None and attempt.result.plausible and not all_plausible:
                self.outcome.stopped = "plausible"
                stats.untried += len(pairs) - index - 1
                return True
        return False


def _read_line(workspace: Workspace, line: RankedLine, checker: JavaTypeChecker | None, outcome: SearchOutcome,
               frontier: list[tuple[float, int, int, Candidate]], validator: CandidateValidator) -> None:
    """Make one line's candidates: the dropped ones into the records, the others onto the frontier (and, where
    the validator can, compiled together now: one compilation for the line instead of one per candidate)."""
    stats = outcome.stats
    stats.lines_tried += 1
    t0 = time.monotonic()
    made = proposals_at(workspace, SourceLine(line.file, line.line), checker)
    stats.generation_seconds += time.monotonic() - t0
    stats.generated += len(made.candidates) + len(made.dropped)
    stats.locate(line.file, line.line, line.rank, made.families, made.note)
    for dropped, reason in made.dropped:
        stats.drop(reason)
        outcome.records.append(_record(dropped, "dropped", reason))
    for index, candidate in enumerate(made.candidates):
        heapq.heappush(frontier, (-score(candidate) * line.weight, line.rank, index, candidate))
    if isinstance(validator, PrecompilingValidator) and len(made.candidates) > 1:
        before = _split(validator)
        validator.precompile([{c.file: c.new_text} for c in made.candidates])
        after = _split(validator)
        if before is not None and after is not None:
            stats.compilation_seconds += after[0] - before[0]


def _validate(validator: CandidateValidator, candidate: Candidate, stats: SearchStats,
              ahead: Candidate | None = None) -> ValidationResult:
    """The validator's verdict on one candidate, its seconds split into compilation and tests; with `ahead`, that
    candidate is judged at the same time where the validator can (its verdict is taken on its own turn)."""
    before = _split(validator)
    t2 = time.monotonic()
    if ahead is not None and isinstance(validator, PairValidator) and validator.can_pair():
        result = validator.validate_many([candidate.diff(), ahead.diff()])[0]
    else:
        result = validator.validate(candidate.diff())
    after = _split(validator)
    if after is not None and before is not None:
        stats.compilation_seconds += after[0] - before[0]
        stats.test_seconds += after[1] - before[1]
    else:
        stats.test_seconds += time.monotonic() - t2
    stats.record(result)
    return result


def _record(candidate: Candidate, fate: str, reason: str) -> CandidateRecord:
    return CandidateRecord(candidate.file, candidate.line, candidate.template, candidate.description, fate, reason)


def _split(validator: CandidateValidator) -> tuple[float, float] | None:
    """(compile, test) seconds so far, when the validator keeps them (FastPatchValidator does)."""
    if isinstance(validator, TimedValidator):
        return validator.compile_seconds, validator.test_seconds
    return None
