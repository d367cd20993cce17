"""Model spec strings from the command line: `offline`, `scripted:FILE`, `openai:NAME`,
`openai-compatible:NAME` (with a base URL).

It lives above `repair.models` because it builds the offline engine too, which is built on the models."""

from __future__ import annotations

import os

from repair.errors import RepairError
from repair.models.base import Model
from repair.models.scripted import ScriptedModel
from repair.offline import OfflineEngine

DEFAULT_OPENAI_MODEL = "gpt-4o-mini"


def default_spec(base_url: str | None = None) -> str:
    """`offline` unless an API key or a base URL says an LLM is there."""
    if base_url:
        return f"openai-compatible:{DEFAULT_OPENAI_MODEL}"
    if os.environ.get("OPENAI_API_KEY"):
        return f"openai:{DEFAULT_OPENAI_MODEL}"
    return "offline"


def make_model(spec: str | None, base_url: str | None = None,
               prices: dict[str, tuple[float, float]] | None = None, all_plausible: bool = False) -> Model:
    """The model a spec names. Raises RepairError with one line when it cannot be built."""
    spec = spec or default_spec(base_url)
    kind, _, name = spec.partition(":")
    if kind == "offline":
        return OfflineEngine(all_plausible=all_plausible or None)
    if kind == "scripted":
        if not name:
            raise RepairError("--model scripted:FILE needs the path of a JSON script")
        return ScriptedModel.from_file(name)
    if kind in ("openai", "openai-compatible"):
        from repair.models.openai_model import OpenAIModel  # the openai client takes a second to import

        if not name:
            raise RepairError(f"--model {kind}:NAME needs a model name, e.g. {kind}:{DEFAULT_OPENAI_MODEL}")
        if kind == "openai-compatible" and not base_url:
            raise RepairError("--model openai-compatible:NAME needs --base-url URL (e.g. http://localhost:8000/v1)")
        return OpenAIModel(name, base_url=base_url, prices=prices)
    raise RepairError(f"unknown model '{spec}': use offline, scripted:FILE, openai:NAME or "
                      "openai-compatible:NAME --base-url URL")
