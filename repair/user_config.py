"""The user's settings file, `$XDG_CONFIG_HOME/repair/config.toml` (default `~/.config/repair/config.toml`).

Keys (all optional):

    web = false    # never send a search query to the web (FixAgent's Helper), as for private code

A command-line flag (`--web`, `--no-web`) wins over the file.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from repair.errors import RepairError

KEYS = {"web": bool}


def user_config_file() -> Path:
    """Where the settings file is, whether or not it exists."""
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "repair" / "config.toml"


def user_config() -> dict[str, Any]:
    """The settings of the file ({} when there is none); a RepairError names a key or a file it cannot use."""
    path = user_config_file()
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RepairError(f"cannot read the settings file {path}: {exc}") from None
    for key, value in data.items():
        if key not in KEYS:
            raise RepairError(f"{path}: unknown key '{key}' (known: {', '.join(sorted(KEYS))})")
        if not isinstance(value, KEYS[key]):
            raise RepairError(f"{path}: '{key}' must be {KEYS[key].__name__}, not {value!r}")
    return data


def web_allowed() -> bool:
    """Whether the settings file lets the Helper search the web (yes unless it says `web = false`)."""
    return bool(user_config().get("web", True))
