"""Shared fixtures: demo bugs checked out into real git workspaces, and the real benchmark data."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from repair.checkout import CheckedOutBug


@pytest.fixture
def demo_checkout() -> Iterator[Callable[[str], CheckedOutBug]]:
    """A factory: `demo_checkout("demo:is_sorted")` checks the bug out; every checkout is closed afterwards."""
    from repair.checkout import check_out

    opened: list[CheckedOutBug] = []

    def make(bug_id: str) -> CheckedOutBug:
        checked = check_out(bug_id)
        opened.append(checked)
        return checked

    yield make
    for checked in opened:
        checked.close()


def benchmarks_dir() -> Path:
    """The real benchmark data (`REPAIR_BENCHMARKS_DIR`, by default `<repo>/../shared/benchmarks`)."""
    default = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks"
    return Path(os.environ.get("REPAIR_BENCHMARKS_DIR", default))


@pytest.fixture(scope="session")
def quixbugs_tarball() -> Path:
    """QuixBugs' real data: the tarball of all 80 programs; the test is skipped, saying why, without it."""
    tarball = benchmarks_dir() / "quixbugs.tar.gz"
    if not tarball.is_file():
        pytest.skip(f"the QuixBugs data is missing: no {tarball} (set REPAIR_BENCHMARKS_DIR to the folder "
                    "that holds quixbugs.tar.gz)")
    return tarball


@pytest.fixture(scope="session")
def quixbugs_root(quixbugs_tarball: Path) -> Path:
    """The extracted QuixBugs root (extracted once into the cache)."""
    from repair.datasets.quixbugs import locate_quixbugs

    return locate_quixbugs(quixbugs_tarball)


# -- the local Defects4J (built from ../shared/benchmarks by defects4j-local.sh) -----------------------
D4J_PERL_MODULES = ("DBI", "DBD::CSV", "JSON", "JSON::Parse", "String::Interpolate", "URI")



@pytest.fixture(scope="session")
def defects4j_on_path() -> Iterator[Path]:
    """A working `defects4j` on PATH (with TZ set as Defects4J's tests want); its framework folder.

    Uses the one on PATH, else builds one from the shared benchmarks into the cache (once). Skips only
    when neither exists; a build that fails is a test failure, not a skip.
    """
    import shutil
    import subprocess

    from repair.datasets.defects4j import framework_dir

    saved = {k: os.environ.get(k) for k in ("PATH", "TZ")}
    if shutil.which("defects4j") is None:
        script = benchmarks_dir() / "defects4j-local.sh"
        if not script.is_file():
            pytest.skip(f"no defects4j on PATH and no {script} (set REPAIR_BENCHMARKS_DIR to the folder that holds it)")
        missing = [m for m in D4J_PERL_MODULES
                   if subprocess.run(["perl", f"-M{m}", "-e", "1"], capture_output=True, timeout=60).returncode]
        assert shutil.which("ant") and not missing, (
            f"building Defects4J needs ant and the perl modules {', '.join(missing)}: see the header of {script}")
        cache = Path(os.environ.get("REPAIR_CACHE_DIR", Path.home() / ".cache" / "repair")) / "defects4j-local"
        if not (cache / "framework" / "bin" / "defects4j").is_file():
            shutil.rmtree(cache, ignore_errors=True)
            built = subprocess.run(["bash", str(script), str(cache)], capture_output=True, text=True, timeout=900)
            assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
        bins = [str(cache / "shim"), str(cache / "framework" / "bin"), os.environ["PATH"]]
        os.environ["PATH"] = os.pathsep.join(bins)
    os.environ["TZ"] = "America/Los_Angeles"
    framework = framework_dir()
    assert framework is not None, "defects4j is on PATH but its framework/projects folder is not beside it"
    yield framework
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def cli1(defects4j_on_path: Path) -> Iterator[CheckedOutBug]:
    """Real Defects4J Cli-1, checked out once for the session (a checkout takes Defects4J a while)."""
    from repair.checkout import check_out

    checked = check_out("defects4j:Cli-1", discover_failing=False)
    yield checked
    checked.close()
