"""Secrets of the user's environment: kept away from the project's code and out of every artifact.

A test suite is code from the repository under repair, and a patch under test is code from a model:
neither may read the user's API keys or tokens. Every command that runs project code gets the
environment less the variables named like secrets, and every file a run writes is scrubbed of
their values as a last line of defence.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

# Named explicitly because they matter most here; the pattern below catches the rest.
SECRET_NAMES = frozenset({
    "OPENAI_API_KEY", "GITHUB_TOKEN", "GH_TOKEN", "ACTIONS_RUNTIME_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "ANTHROPIC_API_KEY", "HF_TOKEN", "NPM_TOKEN", "PYPI_TOKEN",
    "SSH_AUTH_SOCK",
})
# A word of the name (split at `_`) that says "secret": OPENAI_API_KEY, MY_SERVICE_TOKEN, DB_PASSWORD, ...
_SECRET_WORD = re.compile(r"(?:^|_)(?:TOKEN|SECRET|SECRETS|PASSWORD|PASSWD|PASSPHRASE|KEY|APIKEY|PAT|"
                          r"CREDENTIAL|CREDENTIALS|AUTH)(?:_|$)", re.I)
MIN_SECRET_LENGTH = 8  # shorter values ("1", "true") would scrub ordinary text


def is_secret_name(name: str) -> bool:
    """Whether an environment variable's name says it holds a secret."""
    return name.upper() in SECRET_NAMES or bool(_SECRET_WORD.search(name))


def scrubbed_environment(extra: Mapping[str, str] | None = None,
                         base: Mapping[str, str] | None = None) -> dict[str, str]:
    """`base` (default: this process's environment) without secret variables, with `extra` on top.

    `extra` is what the caller sets on purpose (e.g. PYTHONPATH for a plugin) and is kept as given.
    """
    source = os.environ if base is None else base
    env = {name: value for name, value in source.items() if not is_secret_name(name)}
    env.update(extra or {})
    return env


def secret_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """The values of the secret variables of `environ` (default: this process's), longest first."""
    source = os.environ if environ is None else environ
    values = {value for name, value in source.items() if is_secret_name(name) and len(value) >= MIN_SECRET_LENGTH}
    return sorted(values, key=len, reverse=True)


def redact(text: str, secrets: Iterable[str] | None = None) -> str:
    """`text` with every secret value (default: those of this process's environment) replaced by `***`."""
    for secret in secret_values() if secrets is None else secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


# Strings shaped like credentials whatever variable (if any) held them: well-known key prefixes, JWTs, and long
# words of 20 characters or more with at least four digits (keys, hashes); identifiers and messages rarely are.
_TOKEN_LIKE = re.compile(
    r"\b(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}"
    r"|\b(?:gh[pousr]_|github_pat_|glpat-|xox[abposr]-|AKIA|ASIA|AIza)[A-Za-z0-9_-]{12,}"
    r"|\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"
    r"|(?<![\w+/=-])(?=(?:[\w+/=-]*?\d){4})(?=[\w+/=-]*?[A-Za-z])[\w+/=-]{20,}")


def redact_tokens(text: str, replacement: str = "***") -> str:
    """`text` with every token-like string (API keys, access tokens, JWTs, long letter-and-digit strings such
    as hashes) replaced, for text that leaves the machine, such as a web search query."""
    return _TOKEN_LIKE.sub(replacement, text)


def scrub_secrets(folder: Path, secrets: Iterable[str] | None = None) -> list[Path]:
    """Replace every secret value in every file under `folder` by `***`; the files that held one."""
    needles = [s.encode() for s in (secret_values() if secrets is None else secrets) if len(s) >= MIN_SECRET_LENGTH]
    changed: list[Path] = []
    if not needles or not folder.is_dir():
        return changed
    for file in folder.rglob("*"):
        if not file.is_file() or file.is_symlink():
            continue
        data = file.read_bytes()
        cleaned = data
        for needle in needles:
            cleaned = cleaned.replace(needle, b"***")
        if cleaned != data:
            file.write_bytes(cleaned)
            changed.append(file)
    return changed
