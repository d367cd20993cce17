"""Summarizer (L2): a natural-language summary of each function of the buggy file, cached per file hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from repair.fixagent.inputs import BuggyFile
from repair.fixagent.prompting import AgentCall, ask, numbered, section
from repair.fixagent.reply_parsing import extract_json
from repair.models.base import Model
from repair.syntax import definitions

NO_SUMMARY = "(no summary)"


@dataclass(frozen=True)
class Summaries:
    """Function name → summary. `call` is None when they came from the cache."""

    by_function: dict[str, str]
    call: AgentCall | None
    cached: bool = False

    def text(self) -> str:
        return "\n".join(f"- {name}: {summary}" for name, summary in self.by_function.items()) or "(no functions)"


def cache_file(cache_dir: Path, file: BuggyFile) -> Path:
    """Where the summaries of this exact file content live."""
    digest = hashlib.sha256(file.text.encode("utf-8")).hexdigest()
    return cache_dir / "summaries" / f"{digest}.json"


def functions_of(file: BuggyFile) -> list[str]:
    """'name (lines a-b): signature' for each method of `file`, from tree-sitter."""
    try:
        defs = definitions(file.language, file.text)
    except (ValueError, LookupError):  # not a language tree-sitter knows here
        return []
    return [f"{d.qualified_name} (lines {d.start_line}-{d.end_line}): {d.signature}" for d in defs
            if d.kind == "method"]


def summarize(model: Model, file: BuggyFile, cache_dir: Path | None) -> Summaries:
    """Summaries of every function of `file`: from the cache when this content was summarized before
    (`cache_dir` None: neither read nor written, as in a replay of a run that asked the model)."""
    cached = cache_file(cache_dir, file) if cache_dir is not None else None
    if cached is not None and cached.is_file():
        try:
            data = json.loads(cached.read_text(encoding="utf-8"))
            if isinstance(data, dict):
                return Summaries({str(k): str(v) for k, v in data.items()}, None, cached=True)
        except (OSError, json.JSONDecodeError):
            pass  # a broken cache entry is rebuilt below
    functions = functions_of(file)
    names = [f.split(" (", 1)[0] for f in functions]
    call = ask(model, "summarizer", [
        section(f"Source file {file.path} ({file.language})", numbered(file.text)),
        section("Functions", "\n".join(functions) or "(tree-sitter found none; summarize the top-level code)"),
        "Answer with one JSON object mapping each function name above to its summary.",
    ])
    answer = extract_json(call.text, dict)
    if not isinstance(answer, dict):
        return Summaries({name: NO_SUMMARY for name in names}, call)
    by_function = {name: str(answer.get(name) or answer.get(name.rsplit(".", 1)[-1]) or NO_SUMMARY)
                   for name in names} if names else {str(k): str(v) for k, v in answer.items()}
    if cached is None:
        return Summaries(by_function, call)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_text(json.dumps(by_function, indent=1), encoding="utf-8")
    except OSError:
        pass  # the cache is an optimisation; a read-only home must not stop a repair
    return Summaries(by_function, call)
