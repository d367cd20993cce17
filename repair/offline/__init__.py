"""The offline engine: fix templates, a ranked search, and a `Model` that drives the agent loop with them."""

from repair.offline.engine import OfflineEngine, OfflineSearchExhausted
from repair.offline.search import SearchBudget, SearchOutcome, rank, search
from repair.offline.stats import SearchStats
from repair.offline.templates import Candidate, generate

__all__ = ["Candidate", "OfflineEngine", "OfflineSearchExhausted", "SearchBudget", "SearchOutcome", "SearchStats",
           "generate", "rank", "search"]
