"""Dollar prices per model (USD per million prompt / completion tokens), overridable from a JSON file."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from repair.errors import RepairError
from repair.models.base import Message, Usage

# OpenAI's rule of thumb for English and code; used only when a server reports no usage.
CHARS_PER_TOKEN = 4

# List prices at the time of writing; a price file (--prices) overrides or extends them.
DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-3.5-turbo": (0.50, 1.50),
    "gpt-3.5-turbo-0125": (0.50, 1.50),
}


def load_prices(path: str | Path | None = None) -> dict[str, tuple[float, float]]:
    """The default table, updated from `path`: {"model": [prompt_usd_per_M, completion_usd_per_M]}."""
    prices = dict(DEFAULT_PRICES)
    if path is None:
        return prices
    try:
        data = json.loads(Path(path).read_text())
        prices.update({str(k): (float(v[0]), float(v[1])) for k, v in data.items()})
    except (OSError, ValueError, TypeError, IndexError, AttributeError) as exc:
        raise RepairError(f"bad price file {path}: expected {{\"model\": [prompt, completion]}} ({exc})") from exc
    return prices


def token_prices(model: str, prices: dict[str, tuple[float, float]] | None = None) -> tuple[float, float]:
    """USD per prompt token and per completion token; a model missing from the table costs 0."""
    table = prices if prices is not None else DEFAULT_PRICES
    per_prompt, per_completion = table.get(model, (0.0, 0.0))
    return per_prompt / 1_000_000, per_completion / 1_000_000


def priced(model: str, prompt_tokens: int, completion_tokens: int,
           prices: dict[str, tuple[float, float]] | None = None, estimated: bool = False) -> Usage:
    """The usage with its cost; a model missing from the table costs 0 (local servers are free)."""
    per_prompt, per_completion = token_prices(model, prices)
    return Usage(prompt_tokens, completion_tokens, prompt_tokens * per_prompt + completion_tokens * per_completion,
                 estimated)


def tokens_estimate(text: str) -> int:
    """About how many tokens `text` is, from its length."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def prompt_tokens_estimate(messages: list[Message], tools: list[dict[str, Any]]) -> int:
    """About how many prompt tokens a request of these messages and tool schemas is."""
    return tokens_estimate(json.dumps(messages)) + (tokens_estimate(json.dumps(tools)) if tools else 0)
