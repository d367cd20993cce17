"""DockerWorkspace against a live container runtime (Podman's Docker API here, Docker elsewhere).

When DOCKER_HOST is unset and podman is installed, .ci/podman-setup.sh is run to start the
service and build the local test image (no registry needed). The tests are skipped, with the
reason, only when no runtime can be started.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from repair.checkout import check_out
from repair.containers.docker_backend import (
    DEFAULT_IMAGE,
    LABEL,
    DockerConfig,
    DockerWorkspace,
    connect,
    create_workspace,
)
from repair.containers.workspace import Workspace
from repair.datasets.demo import DEMO_ROOT
from repair.errors import WorkspaceError
from repair.validation import PatchValidator

REPO = Path(__file__).resolve().parent.parent
SETUP_SCRIPT = REPO / ".ci" / "podman-setup.sh"


def _start_runtime() -> str | None:
    """Make DOCKER_HOST point at a runtime that has the test image; the reason to skip otherwise."""
    if not os.environ.get("DOCKER_HOST") or not _image_present():
        if not shutil.which("podman"):
            return "no container runtime: DOCKER_HOST is unset and podman is not installed"
        done = subprocess.run(["bash", str(SETUP_SCRIPT)], capture_output=True, text=True, timeout=240)
        if done.returncode != 0 or "ready" not in done.stdout:
            return f"could not start podman: {(done.stdout + done.stderr).strip()[-300:]}"
        os.environ["DOCKER_HOST"] = "unix:///tmp/podman.sock"
        os.environ["CONTAINERS_CONF"] = "/tmp/repair-podman/containers.conf"
    try:
        connect()
    except WorkspaceError as exc:
        return str(exc)
    return None if _image_present() else f"the test image {DEFAULT_IMAGE} is missing"


def _image_present() -> bool:
    try:
        client, _ = connect()
        client.images.get(DEFAULT_IMAGE)
        return True
    except Exception:
        return False


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    reason = _start_runtime()
    if reason:
        pytest.skip(reason)
    docker_client, _ = connect()
    yield docker_client
    # Nothing this module started may outlive it.
    assert _our_containers(docker_client) == []


def _our_containers(client: Any, pid: int | None = os.getpid()) -> list[str]:
    # Only this process's containers (the label holds the pid): other sessions share the runtime.
    label = LABEL if pid is None else f"{LABEL}={pid}"
    return [c.name for c in client.containers.list(all=True, filters={"label": label})]


@pytest.fixture
def ws(client: Any) -> Iterator[DockerWorkspace]:
    with DockerWorkspace.create(DockerConfig(memory="512m", cpus=1.0)) as workspace:
        yield workspace


def test_exec_with_env_cwd_and_exit_codes(ws: DockerWorkspace) -> None:
    assert isinstance(ws, Workspace)
    result = ws.run("echo out; echo err >&2; exit 3", timeout=20)
    assert (result.returncode, result.stdout, result.stderr, result.timed_out) == (3, "out\n", "err\n", False)
    ws.write_file("sub/dir/a.txt", "x")
    where = ws.run(["sh", "-c", 'pwd; echo "$GREETING"'], timeout=20, env={"GREETING": "hi"}, cwd="sub/dir")
    assert where.stdout == "/workspace/sub/dir\nhi\n"
    with pytest.raises(WorkspaceError, match="outside the workspace"):
        ws.read_file("../etc/passwd")


def test_timeout_kills_the_command_and_the_workspace_stays_usable(ws: DockerWorkspace) -> None:
    result = ws.run(["sh", "-c", "echo started; sleep 60"], timeout=2)
    assert result.timed_out and not result.ok and result.stdout == "started\n"
    left = ws.run(["ps", "-o", "args"], timeout=20).stdout
    assert "sleep 60" not in left, "the command's children are killed with it"
    assert ws.run(["echo", "alive"], timeout=20).stdout == "alive\n"


def test_a_child_in_a_new_session_neither_holds_the_run_nor_survives_it(ws: DockerWorkspace) -> None:
    # It keeps the exec's output stream open; the command itself fails at once.
    start = time.monotonic()
    result = ws.run("setsid sleep 1000 & exit 1", timeout=60)
    assert time.monotonic() - start < 20
    assert result.returncode == 1 and not result.timed_out
    left = ws.run(["ps", "-o", "args"], timeout=20).stdout
    assert "sleep 1000" not in left


def test_network_is_off_and_limits_are_applied(ws: DockerWorkspace, client: Any) -> None:
    interfaces = ws.run(["cat", "/proc/net/dev"], timeout=20).stdout
    names = {line.split(":")[0].strip() for line in interfaces.splitlines()[2:]}
    assert names == {"lo"}
    host_config = client.api.inspect_container(ws.container_id)["HostConfig"]
    assert host_config["NetworkMode"] == "none"
    assert host_config["Memory"] == 512 * 1024 * 1024


def test_snapshot_restore_and_diff_mirror_the_local_workspace(ws: DockerWorkspace, tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "pkg").mkdir(parents=True)
    (src / "pkg" / "a.py").write_text("x = 1\n")
    (src / "keep.txt").write_text("keep\n")
    (src / "secret.txt").write_text("not for the agent\n")
    ws.import_tree(str(src), exclude=("secret.txt",))
    assert ws.list_files() == ["keep.txt", "pkg/a.py"]
    assert ws.diff() == ""
    ws.write_file("pkg/a.py", "x = 2\n")
    snap = ws.snapshot()
    ws.write_file("pkg/a.py", "x = 3\n")
    ws.write_file("new.txt", "new\n")
    ws.write_file(".repair/cache.txt", "scratch\n")
    assert "+x = 3" in ws.diff() and "new.txt" in ws.diff() and ".repair" not in ws.diff()
    ws.restore(snap)
    assert ws.read_file("pkg/a.py") == "x = 2\n" and not ws.exists("new.txt")
    assert ws.exists(".repair/cache.txt"), "the scratch dir survives restores"
    ws.restore()
    assert ws.read_file("pkg/a.py") == "x = 1\n" and ws.diff() == ""


def test_ignored_files_are_tracked_and_build_output_stays_out(ws: DockerWorkspace, tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "vendor").mkdir(parents=True)
    (src / "vendor" / "lib.py").write_text("v = 1\n")
    (src / ".gitignore").write_text("vendor/\n")
    ws.import_tree(str(src))
    ws.write_file("vendor/lib.py", "v = 2\n")
    ws.run("mkdir -p target && touch target/A.class", timeout=30)
    diff = ws.diff()
    assert "+v = 2" in diff and "target" not in diff
    ws.restore()
    assert ws.read_file("vendor/lib.py") == "v = 1\n" and ws.diff() == ""


def test_host_files_are_copied_for_the_junit_classpath(ws: DockerWorkspace, tmp_path: Path) -> None:
    jar = tmp_path / "lib.jar"
    jar.write_bytes(b"PK\x03\x04 not really a jar")
    (mapped,) = ws.host_path_map([str(jar)])
    assert mapped == "/workspace/.repair/host/lib.jar"
    assert ws.run(["cat", mapped], timeout=20).stdout.startswith("PK")
    assert ws.diff() == ""


def test_container_is_removed_after_an_error(client: Any) -> None:
    with pytest.raises(RuntimeError), DockerWorkspace.create() as workspace:
        name = workspace.name
        raise RuntimeError("forced")
    assert name not in _our_containers(client)
    with pytest.raises(WorkspaceError, match="is not a directory"):
        DockerWorkspace.create(source=Path("/no/such/dir"))
    assert _our_containers(client) == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_container_is_removed_on_ctrl_c_and_sigterm(client: Any, sig: signal.Signals) -> None:
    # The default Ctrl-C handler, as in a terminal: a suite started in the background (`nohup ... &`)
    # hands its children SIGINT ignored.
    script = textwrap.dedent("""
        import signal, sys, time
        signal.signal(signal.SIGINT, signal.default_int_handler)
        from repair.containers.docker_backend import DockerWorkspace
        ws = DockerWorkspace.create()
        print(ws.name, flush=True)
        time.sleep(120)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=dict(os.environ))
    try:
        assert proc.stdout is not None
        name = proc.stdout.readline().strip()
        assert name in _our_containers(client, pid=None)
        proc.send_signal(sig)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    deadline = time.monotonic() + 30
    while name in _our_containers(client, pid=None) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert name not in _our_containers(client, pid=None)


def test_demo_bug_is_fixed_end_to_end_in_a_container(client: Any, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPAIR_CACHE_DIR", str(tmp_path))
    checked = check_out("demo:clamp_range", backend="docker")
    try:
        assert isinstance(checked.workspace, DockerWorkspace)
        assert not checked.workspace.exists("fixes"), "ground truth stays out of the container"
        baseline = checked.runner.run()  # pytest runs inside the container
        assert checked.bug.failing_tests and set(checked.bug.failing_tests) <= set(baseline.failing)
        fix = (DEMO_ROOT / "fixes" / "clamp_range.diff").read_text()
        result = PatchValidator(checked.workspace, checked.bug, checked.runner, baseline=baseline).validate(fix)
        assert result.plausible, result.describe()
        assert checked.workspace.diff() == ""
    finally:
        checked.close()


def test_create_workspace_reads_config_and_env(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPAIR_DOCKER_MEMORY", "300m")
    with create_workspace(workdir=Path("/src/checkout"), cpus=0.5) as workspace:
        assert workspace.path == "/src/checkout"
        assert workspace.run(["pwd"], timeout=20).stdout == "/src/checkout\n"
        host_config = client.api.inspect_container(workspace.container_id)["HostConfig"]
        assert host_config["Memory"] == 300 * 1024 * 1024
    with pytest.raises(WorkspaceError, match="not found"):
        create_workspace(image="localhost/no-such-image:1")
    with pytest.raises(WorkspaceError, match="unknown docker option"):
        create_workspace(bogus=1)


def test_unreachable_runtime_is_one_clear_error() -> None:
    with pytest.raises(WorkspaceError, match="no container runtime reachable.*DOCKER_HOST"):
        connect("unix:///tmp/no-such-docker.sock")


def test_cli_fix_with_the_docker_backend_and_a_scripted_model(client: Any, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from agent_scripts import WORKFLOWS
    from typer.testing import CliRunner

    from repair.cli import app

    monkeypatch.setenv("REPAIR_CACHE_DIR", str(tmp_path / "cache"))
    script = tmp_path / "script.json"
    script.write_text(json.dumps(WORKFLOWS["demo:is_sorted"]))
    fixed = CliRunner().invoke(app, ["fix", "--bug", "demo:is_sorted", "--model", f"scripted:{script}",
                                     "--runs-dir", str(tmp_path / "runs"), "--perfect-fl", "--backend", "docker"])
    assert fixed.exit_code == 0, fixed.output
    assert "plausible" in fixed.output and "+        if items[i - 1] > items[i]:" in fixed.output
    assert _our_containers(client) == []
