"""Dollar prices per model (USD per million prompt / completion tokens), overridable from a JSON file."""

from __future__ import annotations

import json
from pathlib import Path

from repair.errors import RepairError
from repair.models.base import Usage

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


def priced(model: str, prompt_tokens: int, completion_tokens: int,
           prices: dict[str, tuple[float, float]] | None = None) -> Usage:
    """The usage with its cost; a model missing from the table costs 0 (local servers are free)."""
    table = prices if prices is not None else DEFAULT_PRICES
    per_prompt, per_completion = table.get(model, (0.0, 0.0))
    cost = (prompt_tokens * per_prompt + completion_tokens * per_completion) / 1_000_000
    return Usage(prompt_tokens, completion_tokens, cost)
