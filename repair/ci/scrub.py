"""Tokens out of reach: hidden from the repository's code while it runs and out of what `repair ci` prints.

Files are scrubbed by `repair.containers.secrets_filter.scrub_secrets`, the one every command uses."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator

from repair.containers.secrets_filter import redact as redact_values

# The tests, the agent and the report run the repository's code: they must not see a token that can push.
TOKEN_VARS = ("GITHUB_TOKEN", "GH_TOKEN")
MODEL_KEY_VARS = ("OPENAI_API_KEY",)  # hidden too, once the model client has read it


def redact(text: str, secrets: list[str]) -> str:
    """`text` without any of `secrets` and without credentials embedded in URLs."""
    return re.sub(r"(://)[^/@\s]+@", r"\1***@", redact_values(text, secrets))


@contextlib.contextmanager
def hidden_env(names: tuple[str, ...]) -> Iterator[None]:
    """Remove `names` from this process's environment (which subprocesses inherit) for the block."""
    saved = {name: os.environ.pop(name) for name in names if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)
