"""Where `repair` keeps what outlives a run: compiled workers, clones, model summaries, web searches."""

from __future__ import annotations

import os
from pathlib import Path


def user_cache_dir() -> Path:
    """`$REPAIR_CACHE_DIR`, else `~/.cache/repair`."""
    return Path(os.environ.get("REPAIR_CACHE_DIR", Path.home() / ".cache" / "repair"))
