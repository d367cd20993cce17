"""Find the JDK and the jars (JUnit, hamcrest, JaCoCo) that Java test runs need.

Jars come from the local Maven repository, from Debian's /usr/share/java, or
are fetched once with `mvn dependency:get` when Maven and a registry are reachable.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from repair.containers.process import run_process
from repair.errors import ToolchainMissingError


@dataclass(frozen=True)
class MavenArtifact:
    group: str
    artifact: str
    version: str
    classifier: str = ""
    debian_names: tuple[str, ...] = ()

    @property
    def coordinate(self) -> str:
        base = f"{self.group}:{self.artifact}:{self.version}:jar"
        return f"{base}:{self.classifier}" if self.classifier else base

    def local_repo_path(self, repo: Path) -> Path:
        suffix = f"-{self.classifier}" if self.classifier else ""
        return (
            repo.joinpath(*self.group.split("."), self.artifact, self.version)
            / f"{self.artifact}-{self.version}{suffix}.jar"
        )


JUNIT = MavenArtifact("junit", "junit", "4.13.2", debian_names=("junit4.jar",))
HAMCREST = MavenArtifact("org.hamcrest", "hamcrest-core", "1.3", debian_names=("hamcrest-core.jar",))
GSON = MavenArtifact("com.google.code.gson", "gson", "2.10.1", debian_names=("gson.jar",))
JACOCO_AGENT = MavenArtifact("org.jacoco", "org.jacoco.agent", "0.8.12", classifier="runtime")
JACOCO_CLI = MavenArtifact("org.jacoco", "org.jacoco.cli", "0.8.12", classifier="nodeps")


def maven_repo() -> Path:
    return Path(os.environ.get("REPAIR_MAVEN_REPO", Path.home() / ".m2" / "repository"))


def find_jar(artifact: MavenArtifact, fetch: bool = True) -> Path | None:
    """The jar of `artifact`, fetching it with Maven on first use; None when it cannot be had."""
    local = artifact.local_repo_path(maven_repo())
    if local.is_file():
        return local
    for name in artifact.debian_names:
        candidate = Path("/usr/share/java") / name
        if candidate.is_file():
            return candidate
    if fetch and shutil.which("mvn"):
        run_process(
            ["mvn", "-q", "-B", "dependency:get", f"-Dartifact={artifact.coordinate}",
             f"-Dmaven.repo.local={maven_repo()}"],
            cwd=Path.home(),
            timeout=300,
            project_code=False,
        )
        if local.is_file():
            return local
    return None


def require_jar(artifact: MavenArtifact) -> Path:
    jar = find_jar(artifact)
    if jar is None:
        raise ToolchainMissingError(
            f"{artifact.coordinate} is not available offline: run `mvn dependency:get "
            f"-Dartifact={artifact.coordinate}` on a machine with Maven Central, or run .ci/run"
        )
    return jar


def junit_classpath() -> list[Path]:
    """JUnit 4 and hamcrest (required), plus gson when present (some QuixBugs tests import it)."""
    override = os.environ.get("REPAIR_JUNIT_CLASSPATH")
    if override:
        return [Path(p) for p in override.split(os.pathsep) if p]
    jars = [require_jar(JUNIT), require_jar(HAMCREST)]
    gson = find_jar(GSON, fetch=False)
    if gson is not None:
        jars.append(gson)
    return jars


def require_jdk() -> tuple[str, str]:
    """Paths of `javac` and `java`, or a clear error saying how to install them."""
    javac, java = shutil.which("javac"), shutil.which("java")
    if not javac or not java:
        raise ToolchainMissingError(
            "Java is missing: install a JDK 11+ (e.g. `apt-get install default-jdk`) so that javac and java are on PATH"
        )
    return javac, java


RUNNER_SOURCE = Path(__file__).resolve().parent.parent / "java" / "RepairTestRunner.java"
