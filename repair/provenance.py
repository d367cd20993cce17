"""Where a run folder was made: `repair replay` runs a folder's test command, so a folder from elsewhere is code.

Every run folder this machine writes gets `origin.json`, an HMAC (keyed by a secret that never leaves
this machine's user config) over what a replay would execute: the run's options (bug id, test command,
dataset roots, backend) and its trajectory (the model's replies, patches included). A folder downloaded
from somewhere else, or one changed since it was written, fails the check, and replaying it needs
`--trust`.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import socket
from pathlib import Path
from typing import Any

ORIGIN_FILE = "origin.json"
KEY_FILE = "run-signing.key"


def config_dir() -> Path:
    """`$REPAIR_CONFIG_DIR`, else `~/.config/repair`: what is this user's on this machine, not a cache."""
    return Path(os.environ.get("REPAIR_CONFIG_DIR", Path.home() / ".config" / "repair"))


def signing_key() -> bytes:
    """This machine's key for run folders, made on first use (readable by this user only)."""
    path = config_dir() / KEY_FILE
    with contextlib.suppress(FileNotFoundError):
        return bytes.fromhex(path.read_text().strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(handle, "w") as out:
        out.write(key.hex() + "\n")
    return key


def _digest(run_dir: Path, key: bytes) -> str:
    result = json.loads((run_dir / "result.json").read_text(encoding="utf-8"))
    options = json.dumps(result.get("options", {}), sort_keys=True).encode()
    trajectory = run_dir / "trajectory.jsonl"
    steps = trajectory.read_bytes() if trajectory.is_file() else b""
    mac = hmac.new(key, b"repair-run-v1\0", hashlib.sha256)
    for part in (options, steps):
        mac.update(hashlib.sha256(part).digest())
    return mac.hexdigest()


def sign_run(run_dir: Path) -> None:
    """Write `origin.json`: this run folder was made here, with these options and this trajectory."""
    record: dict[str, Any] = {"host": socket.gethostname(), "hmac": _digest(run_dir, signing_key()),
                              "covers": ["result.json options", "trajectory.jsonl"]}
    (run_dir / ORIGIN_FILE).write_text(json.dumps(record, indent=1) + "\n")


def made_here(run_dir: Path) -> bool:
    """Whether `run_dir` was written on this machine by this user and not changed since."""
    try:
        record = json.loads((run_dir / ORIGIN_FILE).read_text(encoding="utf-8"))
        expected = _digest(run_dir, signing_key())
    except (OSError, ValueError, AttributeError):
        return False
    return isinstance(record, dict) and hmac.compare_digest(str(record.get("hmac", "")), expected)
