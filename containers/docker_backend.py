"""`DockerWorkspace`: a bug checked out inside a container, driven through the Docker API.

Works with Docker and with Podman's Docker-compatible service (`DOCKER_HOST=unix:///tmp/podman.sock`).
The checkout lives at `/workspace` in a long-lived container; every command goes through
`exec_run` wrapped in `timeout -s KILL` (the limit inside) and a wait with a deadline (the limit
outside). Snapshots and diffs use git inside the container, with the same semantics as
`LocalWorkspace`: the tag `repair-base` is the checked-out state and `.repair/` is never tracked.
"""

from __future__ import annotations

import atexit
import io
import math
import os
import posixpath
import signal
import stat
import tarfile
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Protocol

from repair.containers.git_state import GitBackedWorkspace, GitState, git_env
from repair.containers.process import MAX_CAPTURE, CommandResult
from repair.containers.workspace import SCRATCH_DIR
from repair.errors import WorkspaceError

if TYPE_CHECKING:
    import docker

DEFAULT_IMAGE = "localhost/repair-runtime:latest"
CONTAINER_ROOT = "/workspace"
LABEL = "io.repair.workspace"
HOST_FILES_DIR = f"{SCRATCH_DIR}/host"
# Sockets tried, in order, when DOCKER_HOST is unset: Docker's, then the ones Podman's
# service uses (ours from .ci/podman-setup.sh, root's, then the rootless user's).
FALLBACK_SOCKETS = ("/var/run/docker.sock", "/tmp/podman.sock", "/run/podman/podman.sock",
                    f"/run/user/{os.getuid()}/podman/podman.sock")
API_TIMEOUT = 120.0  # seconds for one Docker API call that is not a command run
OUTER_SLACK = 15.0  # seconds the outside deadline waits beyond the inside `timeout`
_COPY_IGNORE_NAMES = (".git", SCRATCH_DIR, "__pycache__", ".pytest_cache", "*.class")
SETUP_HINT = ("start Docker, or Podman's Docker API (`source .ci/podman-setup.sh`, see docs/benchmarks.md), "
              "and set DOCKER_HOST")


@dataclass(frozen=True)
class DockerConfig:
    """How the container of a workspace is made: image, limits and network."""

    image: str = DEFAULT_IMAGE
    memory: str | None = "4g"  # docker's mem_limit syntax; None for no limit
    cpus: float | None = 2.0
    pids_limit: int | None = 4096
    network: bool = False  # off by default: a patch under test must not reach the outside
    root: str = CONTAINER_ROOT
    env: dict[str, str] = field(default_factory=dict)
    base_url: str | None = None  # default: DOCKER_HOST, then the FALLBACK_SOCKETS

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> DockerConfig:
        """Build a config from keyword options, ignoring the ones that are None."""
        known = {k: v for k, v in config.items() if v is not None and k in cls.__dataclass_fields__}
        unknown = sorted(set(config) - set(cls.__dataclass_fields__))
        if unknown:
            raise WorkspaceError(f"unknown docker option(s): {', '.join(unknown)}")
        return cls(**known)


def connect(base_url: str | None = None) -> tuple[docker.DockerClient, str]:
    """A client for DOCKER_HOST (or a known socket) that has answered a ping, and its URL.

    Raises WorkspaceError, with how to start a runtime, when none answers.
    """
    import docker
    from docker.errors import DockerException

    urls = [base_url] if base_url else []
    if not urls and os.environ.get("DOCKER_HOST"):
        urls = [os.environ["DOCKER_HOST"]]
    if not urls:
        urls = [f"unix://{s}" for s in FALLBACK_SOCKETS if Path(s).exists()]
    errors = []
    for url in urls:
        try:
            client = docker.DockerClient(base_url=url, timeout=int(API_TIMEOUT))
            client.ping()
            return client, url
        except (DockerException, OSError) as exc:
            errors.append(f"{url}: {str(exc).splitlines()[0][:160]}")
    detail = "; ".join(errors) if errors else "DOCKER_HOST is unset and no Docker/Podman socket exists"
    raise WorkspaceError(f"no container runtime reachable ({detail}): {SETUP_HINT}")


# -- clean-up of every live container, whatever way the process ends --------------------------
_LIVE: dict[str, DockerWorkspace] = {}
_LIVE_LOCK = threading.Lock()
_handlers_installed = False


def _close_all() -> None:
    with _LIVE_LOCK:
        live = list(_LIVE.values())
    for ws in live:
        ws.close()


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    # SIGTERM would end the interpreter without running `finally` blocks or atexit;
    # turned into SystemExit, both run and the containers are removed.
    raise SystemExit(128 + signum)


def _install_cleanup_handlers() -> None:
    global _handlers_installed
    if _handlers_installed:
        return
    atexit.register(_close_all)
    # Only take SIGTERM over when nobody else did, and only from the main thread (a Python rule).
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)
    _handlers_installed = True


class DockerWorkspace(GitBackedWorkspace):
    """A checkout at `config.root` inside a container, under a fresh git repository.

    Use it as a context manager, or call `close()`: the container is removed on exit, on
    Ctrl-C, on SIGTERM and on errors; an `atexit` hook removes any that are left.
    """

    def __init__(self, client: docker.DockerClient, config: DockerConfig, base_url: str) -> None:
        self._client = client
        self._base_url = base_url
        self.config = config
        self._root = config.root
        self._container: Any = None
        self._closed = False
        self.name = f"repair-ws-{uuid.uuid4().hex[:12]}"
        self._state = GitState(self._git, self._root, self.write_file, self._remove_file)

    # -- creation -----------------------------------------------------------------
    @classmethod
    def create(cls, config: DockerConfig | None = None, source: Path | None = None) -> DockerWorkspace:
        """Start a container from `config.image`, init git at its root, and import `source` if given."""
        config = config or DockerConfig()
        client, url = connect(config.base_url)
        ws = cls(client, config, url)
        try:
            ws._start()
            ws._state.init()
            if source is not None:
                ws.import_tree(str(source))
        except BaseException:
            ws.close()
            raise
        return ws

    def _start(self) -> None:
        from docker.errors import ImageNotFound

        try:
            self._client.images.get(self.config.image)
        except ImageNotFound:
            raise WorkspaceError(
                f"docker image {self.config.image} not found: build it first (see docs/benchmarks.md; "
                f"for tests, .ci/podman-setup.sh builds {DEFAULT_IMAGE})"
            ) from None
        _install_cleanup_handlers()
        kwargs: dict[str, Any] = {
            "command": ["tail", "-f", "/dev/null"],  # keeps the container alive between commands
            "name": self.name,
            "detach": True,
            "labels": {LABEL: str(os.getpid())},
            "environment": {"HOME": "/tmp", **self.config.env},
            "working_dir": "/",
        }
        if not self.config.network:
            kwargs["network_mode"] = "none"
        if self.config.memory:
            kwargs["mem_limit"] = self.config.memory
        if self.config.cpus:
            kwargs["nano_cpus"] = int(self.config.cpus * 1e9)
        if self.config.pids_limit:
            kwargs["pids_limit"] = self.config.pids_limit
        # Registered before the API call, so a container whose creation half-succeeded is removed too.
        with _LIVE_LOCK:
            _LIVE[self.name] = self
        self._container = self._client.containers.run(self.config.image, **kwargs)
        self._check(self._exec(["mkdir", "-p", self._root], timeout=60, workdir="/"), "mkdir")

    def import_tree(self, source: str, exclude: Sequence[str] = ()) -> None:
        """Copy a host directory (less `exclude` names) into the container; it becomes the checked-out state."""
        src = Path(source).resolve()
        if not src.is_dir():
            raise WorkspaceError(f"{src} is not a directory")
        data = _tar_directory(src, (*_COPY_IGNORE_NAMES, *exclude))
        if not self._require().put_archive(self._root, data):
            raise WorkspaceError(f"could not copy {src} into the container")
        self._state.commit_base(f"repair: import {src.name}")

    def adopt_tree(self, container_dir: str, exclude: Sequence[str] = ()) -> None:
        """Like `import_tree`, for a directory that is already inside the container (e.g. a benchmark's checkout)."""
        src = self._resolve(container_dir)
        names = [*_COPY_IGNORE_NAMES, *exclude]
        # tar's --exclude takes glob patterns per path component, as shutil.ignore_patterns does.
        excludes = " ".join(f"--exclude='{n}'" for n in names)
        script = f"cd '{src}' && tar -cf - {excludes} . | tar -xf - -C '{self._root}'"
        self._check(self._exec(["sh", "-c", script], timeout=600), "copy")
        self._state.commit_base(f"repair: adopt {posixpath.basename(src)}")

    # -- Workspace protocol ---------------------------------------------------------
    @property
    def path(self) -> str:
        return self._root

    @property
    def container_id(self) -> str:
        return str(self._require().id)

    def run(
        self,
        cmd: str | Sequence[str],
        timeout: float,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
    ) -> CommandResult:
        """Run `cmd` in the checkout (or `cwd` relative to it); killed inside and outside at `timeout`."""
        where = self._resolve(cwd) if cwd else self._root
        return self._exec(cmd, timeout=timeout, env=env, workdir=where, reap=True)

    def read_file(self, rel_path: str) -> str:
        return self.read_bytes(rel_path).decode("utf-8", errors="replace")

    def read_bytes(self, rel_path: str) -> bytes:
        target = self._resolve(rel_path)
        from docker.errors import NotFound

        try:
            stream, _ = self._require().get_archive(target)
        except NotFound:
            raise WorkspaceError(f"no such file in the workspace: {rel_path}") from None
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
            member = tar.next()
            if member is None or not member.isfile():
                raise WorkspaceError(f"no such file in the workspace: {rel_path}")
            extracted = tar.extractfile(member)
            return extracted.read() if extracted else b""

    def write_file(self, rel_path: str, content: str) -> None:
        self.write_bytes(rel_path, content.encode("utf-8"))

    def write_bytes(self, rel_path: str, data: bytes, mode: int = 0o644) -> None:
        target = self._resolve(rel_path)
        parent, name = posixpath.split(target)
        self._check(self._exec(["mkdir", "-p", parent], timeout=60), "mkdir")
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = mode
            info.mtime = int(time.time())
            tar.addfile(info, io.BytesIO(data))
        if not self._require().put_archive(parent, buf.getvalue()):
            raise WorkspaceError(f"could not write {rel_path} in the container")
        self._state.note_written(rel_path)

    def exists(self, rel_path: str) -> bool:
        try:
            target = self._resolve(rel_path)
        except WorkspaceError:
            return False
        return self._exec(["test", "-e", target], timeout=60).returncode == 0

    def host_path_map(self, host_paths: Sequence[str]) -> list[str]:
        """Copy host files (e.g. the JUnit jars) into the container's scratch dir; their paths there."""
        mapped = []
        for host in host_paths:
            source = Path(host)
            rel = f"{HOST_FILES_DIR}/{source.name}"
            if not self.exists(rel):
                self.write_bytes(rel, source.read_bytes(), mode=stat.S_IMODE(source.stat().st_mode))
            mapped.append(f"{self._root}/{rel}")
        return mapped

    def close(self) -> None:
        """Remove the container (idempotent; safe to call from atexit and signal paths)."""
        if self._closed:
            return
        self._closed = True
        with _LIVE_LOCK:
            _LIVE.pop(self.name, None)
        from docker.errors import DockerException, NotFound

        try:
            self._client.containers.get(self.name).remove(force=True)
        except NotFound:
            pass
        except DockerException:
            pass  # the runtime went away: nothing left that we could remove

    def __enter__(self) -> DockerWorkspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ----------------------------------------------------------------
    def _require(self) -> Any:
        if self._closed or self._container is None:
            raise WorkspaceError("the docker workspace is closed")
        return self._container

    def _resolve(self, rel_path: str) -> str:
        target = posixpath.normpath(posixpath.join(self._root, rel_path))
        if target != self._root and not target.startswith(self._root.rstrip("/") + "/"):
            raise WorkspaceError(f"path {rel_path!r} is outside the workspace")
        return target

    def _exec(self, cmd: str | Sequence[str], timeout: float, env: Mapping[str, str] | None = None,
              workdir: str | None = None, reap: bool = False) -> CommandResult:
        """Run `cmd` in the container; with `reap` (project code) nothing it started survives it."""
        container = self._require()
        argv = ["sh", "-c", cmd] if isinstance(cmd, str) else [str(a) for a in cmd]
        seconds = max(1, math.ceil(timeout))
        wrapped = ["timeout", "-s", "KILL", str(seconds), *argv]
        if reap:
            # The container is the command's PID namespace: once it ends, every process but PID 1 and
            # this shell is what it left behind (one command runs at a time), in whatever session,
            # and may hold the output stream open. kill(-1) spares the caller, so the status survives.
            wrapped = ["sh", "-c", '"$@"; status=$?; kill -KILL -1 2>/dev/null; exit $status', "sh", *wrapped]
        api = self._client.api
        exec_id = api.exec_create(container.id, wrapped, environment=dict(env or {}),
                                  workdir=workdir or self._root)["Id"]
        start = time.monotonic()
        collected: dict[str, bytearray] = {"out": bytearray(), "err": bytearray()}
        failure: list[BaseException] = []

        def pump() -> None:
            try:
                for out, err in _exec_stream(self._base_url, self._client, exec_id, seconds + OUTER_SLACK):
                    for key, chunk in (("out", out), ("err", err)):
                        if chunk and len(collected[key]) < MAX_CAPTURE:
                            collected[key] += chunk
            except BaseException as exc:  # re-raised in the caller's thread
                failure.append(exc)

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        reader.join(seconds + OUTER_SLACK)
        outer_timeout = reader.is_alive()
        if outer_timeout:
            # The inner `timeout` could not end it (e.g. a grandchild holds the output open):
            # kill every process but PID 1 so the stream closes and the container stays usable.
            container.exec_run(["kill", "-KILL", "-1"])
            reader.join(OUTER_SLACK)
        if failure and not outer_timeout:
            raise WorkspaceError(f"running a command in the container failed: {failure[0]}")
        elapsed = time.monotonic() - start
        code = api.exec_inspect(exec_id).get("ExitCode")
        returncode = int(code) if code is not None else -signal.SIGKILL
        # `timeout -s KILL` leaves 137 (128 + SIGKILL); telling it from an OOM kill needs the clock.
        timed_out = outer_timeout or (returncode == 128 + signal.SIGKILL and elapsed >= seconds - 0.5)
        if timed_out and not outer_timeout:
            # `timeout` kills only its child; what that child started (a JVM under a shell) lives on.
            # One command runs at a time, so everything but PID 1 is what is left of this one.
            container.exec_run(["kill", "-KILL", "-1"])
        return CommandResult(
            returncode=-signal.SIGKILL if timed_out else returncode,
            stdout=_decode(collected["out"]),
            stderr=_decode(collected["err"]),
            timed_out=timed_out,
            seconds=elapsed,
        )

    def _check(self, result: CommandResult, what: str) -> CommandResult:
        if not result.ok:
            raise WorkspaceError(f"{what} in the container failed: {result.output.strip()[:500]}")
        return result

    def _remove_file(self, rel_path: str) -> None:
        self._exec(["rm", "-f", self._resolve(rel_path)], timeout=60)  # best effort, as a leftover is harmless

    def _git(self, *args: str, env: Mapping[str, str] | None = None) -> CommandResult:
        # Files copied in keep the host's owner; safe.directory stops git refusing such a repo.
        result = self._exec(["git", "-c", "safe.directory=*", *args], timeout=120, env=git_env(env))
        if not result.ok:
            raise WorkspaceError(f"git {' '.join(args)} failed in the container: {result.output.strip()[:500]}")
        return result


def _exec_stream(base_url: str, client: docker.DockerClient, exec_id: str,
                 read_timeout: float) -> Iterator[tuple[Any, Any]]:
    # A client of its own whose socket timeout outlasts the command: a test run that prints
    # nothing for minutes must not be cut off by the API client's read timeout.
    import docker

    api = docker.APIClient(base_url=base_url, timeout=int(read_timeout) + 5,
                           version=client.api.api_version)
    try:
        yield from api.exec_start(exec_id, stream=True, demux=True)
    finally:
        api.close()


def _tar_directory(src: Path, ignore: Sequence[str]) -> bytes:
    buf = io.BytesIO()

    def keep(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        parts = Path(info.name).parts
        if any(fnmatch(part, pat) for part in parts for pat in ignore):
            return None
        # Owned by root in the container, whoever owned it on the host.
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        return info

    with tarfile.open(fileobj=buf, mode="w") as tar:
        for child in sorted(src.iterdir()):
            tar.add(child, arcname=child.name, filter=keep)
    return buf.getvalue()


def _decode(data: bytes | bytearray) -> str:
    if not data:
        return ""
    if len(data) >= MAX_CAPTURE:
        data = bytes(data[:MAX_CAPTURE]) + b"\n[... output truncated ...]\n"
    return bytes(data).decode("utf-8", errors="replace")


class ImageRequest(Protocol):
    """What the backend reads from a bug (a `Bug`, which it cannot import: datasets sit above containers)."""

    meta: dict[str, Any]


def image_for(bug: ImageRequest | None) -> str | None:
    """The image a bug asks for (`bug.meta['docker_image']`), if any."""
    image = bug.meta.get("docker_image") if bug is not None else None
    return str(image) if image else None


def create_workspace(bug: ImageRequest | None = None, workdir: Path | None = None, **config: Any) -> DockerWorkspace:
    """An empty DockerWorkspace for `bug` (used by `--backend docker`).

    The image is, in order: `image=` here, `$REPAIR_DOCKER_IMAGE`, the bug's own image
    (`bug.meta['docker_image']`, e.g. Defects4J's), then the default runtime image.
    `workdir`, when given, is the checkout's path inside the container.
    """
    image = config.pop("image", None) or os.environ.get("REPAIR_DOCKER_IMAGE") or image_for(bug) or DEFAULT_IMAGE
    if workdir is not None:
        config["root"] = posixpath.normpath(str(workdir) if Path(workdir).is_absolute() else f"/{workdir}")
    for key, var in (("memory", "REPAIR_DOCKER_MEMORY"), ("cpus", "REPAIR_DOCKER_CPUS")):
        if key not in config and os.environ.get(var):
            config[key] = float(os.environ[var]) if key == "cpus" else os.environ[var]
    if "network" not in config and os.environ.get("REPAIR_DOCKER_NETWORK") == "1":
        config["network"] = True
    return DockerWorkspace.create(DockerConfig.from_mapping({"image": image, **config}))
