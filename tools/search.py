"""Tools that search the repository: search_code_base (BM25 over methods + exact matches) and
find_similar_api_calls."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from repair.identifiers import identifier_parts
from repair.syntax import definitions, language_of
from repair.tools.base import ToolContext, ToolResult, bounded, schema

TOP_METHODS = 5
MAX_EXACT = 15
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+|[<>=!]=|[<>]")


def tokens(text: str) -> list[str]:
    """Identifiers split at camelCase and snake_case, lower-cased, plus operators (`<=` is a good keyword)."""
    out: list[str] = []
    for word in _WORD.findall(text):
        out.append(word.lower())
        parts = identifier_parts(word)
        if len(parts) > 1:
            out.extend(parts)
    return out


@dataclass(frozen=True)
class MethodDoc:
    path: str
    name: str
    start: int
    end: int
    signature: str
    text: str


def method_docs(ctx: ToolContext) -> list[MethodDoc]:
    """Every method of every Java and Python source file in the workspace."""
    docs = []
    for path in ctx.workspace.list_files((".java", ".py")):
        text = ctx.workspace.read_file(path)
        lines = text.splitlines()
        for d in definitions(language_of(path) or "", text):
            if d.kind == "method":
                docs.append(MethodDoc(path, d.qualified_name, d.start_line, d.end_line, d.signature,
                                      "\n".join(lines[d.start_line - 1:d.end_line])))
    return docs


def keyword_list(args: dict[str, Any]) -> list[str]:
    raw = args.get("key_words", args.get("keywords"))
    if isinstance(raw, str):
        raw = raw.split()
    if not isinstance(raw, list) or not raw or not all(isinstance(k, str) and k.strip() for k in raw):
        raise ValueError("give 'key_words' as a non-empty list of strings")
    return [k.strip() for k in raw]


def exact_matches(ctx: ToolContext, needles: list[str]) -> list[str]:
    """`path:line: text` for every line containing one of `needles` verbatim."""
    hits = []
    for path in ctx.workspace.list_files((".java", ".py")):
        for number, line in enumerate(ctx.workspace.read_file(path).splitlines(), start=1):
            if any(n in line for n in needles):
                hits.append(f"{path}:{number}: {line.strip()}")
    return hits


class SearchCodeBase:
    name = "search_code_base"
    description = ("Search the repository for keywords: the methods that match best (BM25) and the lines that "
                   "contain a keyword exactly.")
    parameters = schema({"key_words": {"type": "array", "items": {"type": "string"}}}, ["key_words"])

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        try:
            keywords = keyword_list(args)
        except ValueError as exc:
            return ToolResult.error(str(exc))
        docs = method_docs(ctx)
        parts = []
        if docs:
            from rank_bm25 import BM25Okapi  # numpy underneath: loaded by the first search, not by the CLI

            bm25 = BM25Okapi([tokens(d.name + " " + d.text) for d in docs])
            scores = bm25.get_scores(tokens(" ".join(keywords)))
            ranked = sorted(zip(scores, docs, strict=True), key=lambda p: -p[0])
            best = [f"{d.path}:{d.start}-{d.end} {d.name}: {d.signature} (score {s:.2f})"
                    for s, d in ranked[:TOP_METHODS] if s > 0]
            if best:
                parts.append("methods that match best:\n" + "\n".join(best))
        hits = exact_matches(ctx, keywords)
        if len(hits) > MAX_EXACT:
            parts.append(f"exact matches: {len(hits)} lines, the first {MAX_EXACT} shown (narrow your search):\n"
                         + "\n".join(hits[:MAX_EXACT]))
        elif hits:
            parts.append("exact matches:\n" + "\n".join(hits))
        if not parts:
            return ToolResult(f"nothing in the repository matches {', '.join(keywords)}")
        return ToolResult(bounded("\n\n".join(parts), ctx.options.max_output_chars), data={"exact": hits[:MAX_EXACT]})


class FindSimilarApiCalls:
    name = "find_similar_api_calls"
    description = ("Find other calls of a method or API in the repository (e.g. `Math.abs` or `items.index`), to "
                   "see how it is used elsewhere.")
    parameters = schema({"code_snippet": {"type": "string", "description": "the call, e.g. foo.bar(x)"}},
                        ["code_snippet"])

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        snippet = str(args.get("code_snippet") or args.get("method_name") or "").strip()
        calls = re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(", snippet)
        words = re.findall(r"[A-Za-z_][A-Za-z0-9_]*", snippet)
        if not words:
            return ToolResult.error("give 'code_snippet', a call such as foo.bar(x)")
        called = calls[0] if calls else words[-1]
        pattern = re.compile(rf"\b{re.escape(called)}\s*\(")
        declaration = re.compile(rf"\b(def|public|private|protected|static)\b.*\b{re.escape(called)}\s*\(")
        hits = []
        for path in ctx.workspace.list_files((".java", ".py")):
            for number, line in enumerate(ctx.workspace.read_file(path).splitlines(), start=1):
                if pattern.search(line) and not declaration.search(line):
                    hits.append(f"{path}:{number}: {line.strip()}")
        if not hits:
            return ToolResult(f"no calls of {called}() in the repository")
        text = f"{len(hits)} calls of {called}():\n" + "\n".join(hits[:20])
        if len(hits) > 20:
            text += f"\n... {len(hits) - 20} more (narrow your search)"
        return ToolResult(bounded(text, ctx.options.max_output_chars))
