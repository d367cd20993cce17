"""FixAgent's agents: each a function of its inputs that asks the model one one-shot question (RepoFocus asks
none: it is BM25 retrieval). `repair.escalation` runs them level by level."""

from repair.fixagent.fixer import fix
from repair.fixagent.fixer_pro import refine
from repair.fixagent.helper import (
    UNAVAILABLE,
    CachedSearch,
    DdgsSearch,
    Guide,
    SearchHit,
    WebSearch,
    WebSearchUnavailableError,
    form_query,
    help_debug,
)
from repair.fixagent.inputs import BuggyFile, Draft, ReviewedPatch
from repair.fixagent.locator import Located, locate
from repair.fixagent.prompting import AgentCall, agent_prompt, untrusted
from repair.fixagent.repo_focus import RelatedFile, load_sources, rank_related
from repair.fixagent.slicer import Slice, slice_file
from repair.fixagent.summarizer import Summaries, summarize

__all__ = [
    "UNAVAILABLE", "AgentCall", "BuggyFile", "CachedSearch", "DdgsSearch", "Draft", "Guide", "Located",
    "RelatedFile", "ReviewedPatch", "SearchHit", "Slice", "Summaries", "WebSearch", "WebSearchUnavailableError",
    "agent_prompt", "fix", "form_query", "help_debug", "load_sources", "locate", "rank_related", "refine",
    "slice_file", "summarize", "untrusted",
]
