"""`action.yml` and the example workflow: parsed with PyYAML, and the action's shell steps run for real in bash
(with the inputs substituted the way the Actions runner does) against a real repo whose tests pass."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
INPUTS = ("test-command", "model", "api-key", "base-url", "max-minutes", "open-pr")


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    return data


def steps() -> list[dict[str, Any]]:
    action = load(ROOT / "action.yml")
    assert action["runs"]["using"] == "composite"
    return list(action["runs"]["steps"])


def repair_step() -> dict[str, Any]:
    (step,) = [s for s in steps() if "repair \"${args[@]}\"" in s.get("run", "")]
    return step


def substitute(value: str, inputs: dict[str, str]) -> str:
    """What the runner does with `${{ inputs.NAME }}` and `${{ github.token }}` before the step starts."""
    value = re.sub(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", lambda m: inputs[m.group(1)], value)
    return re.sub(r"\$\{\{\s*github\.token\s*\}\}", "", value)


def run_step(step: dict[str, Any], inputs: dict[str, str], cwd: Path, extra_env: dict[str, str]) -> \
        subprocess.CompletedProcess[str]:
    assert step["shell"] == "bash"
    env = {"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "HOME": str(cwd.parent), **extra_env}
    env.update({k: substitute(str(v), inputs) for k, v in (step.get("env") or {}).items()})
    # ${{ }} must never be pasted into the script itself: inputs reach it only through the environment.
    assert "${{" not in step["run"]
    return subprocess.run(["bash", "-e", "-c", step["run"]], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def passing_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "tests").mkdir(parents=True)
    (repo / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    (repo / "tests" / "test_calc.py").write_text("from calc import add\n\n\ndef test_add():\n"
                                                 "    assert add(2, 3) == 5\n")
    (repo / "conftest.py").write_text("")
    return repo


def test_action_declares_the_inputs_and_a_composite_run() -> None:
    action = load(ROOT / "action.yml")
    assert set(INPUTS) <= set(action["inputs"])
    for name in INPUTS:
        assert action["inputs"][name].get("description")
        assert action["inputs"][name].get("required") is False
    assert action["inputs"]["open-pr"]["default"] == "true"
    assert action["inputs"]["max-minutes"]["default"] == "20"
    names = [s.get("uses", "") for s in steps()]
    assert any(u.startswith("actions/upload-artifact@") for u in names)


def test_the_repair_step_calls_repair_ci_with_every_input() -> None:
    step = repair_step()
    env_values = " ".join(str(v) for v in step["env"].values())
    for name in INPUTS:
        assert f"inputs.{name}" in env_values, name
    assert step["env"]["OPENAI_API_KEY"] == "${{ inputs.api-key }}"
    assert "GITHUB_TOKEN" in step["env"]
    assert "args=(ci " in step["run"]
    for flag in ("--test-cmd", "--model", "--base-url", "--max-seconds", "--open-pr", "--no-open-pr", "--dry-run"):
        assert flag in step["run"], flag
    install = steps()[0]
    assert "pip install" in install["run"] and "GITHUB_ACTION_PATH" in install["run"]


def test_the_artifact_and_summary_steps_publish_repair_ci(tmp_path: Path) -> None:
    upload = next(s for s in steps() if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["path"].rstrip("/") == "repair-ci" and upload["if"] == "always()"
    summary = next(s for s in steps() if "GITHUB_STEP_SUMMARY" in s.get("run", ""))
    assert summary["if"] == "always()"
    (tmp_path / "repair-ci").mkdir()
    (tmp_path / "repair-ci" / "report.md").write_text("# Repair\n\nthe report\n")
    job_summary = tmp_path / "summary.md"
    job_summary.write_text("earlier steps\n")
    done = run_step(summary, {}, tmp_path, {"GITHUB_STEP_SUMMARY": str(job_summary)})
    assert done.returncode == 0, done.stderr
    assert job_summary.read_text() == "earlier steps\n# Repair\n\nthe report\n"


def test_the_repair_step_runs_repair_ci_for_real(tmp_path: Path) -> None:
    repo = passing_repo(tmp_path)
    inputs = {"test-command": "python -m pytest -q", "model": "", "api-key": "", "base-url": "",
              "max-minutes": "3", "open-pr": "dry-run", "github-token": ""}
    done = run_step(repair_step(), inputs, repo, {})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "reproducing the failure: python -m pytest -q" in done.stdout
    assert "nothing to repair" in done.stdout
    assert (repo / "repair-ci" / "report.md").is_file()

    bad = run_step(repair_step(), {**inputs, "open-pr": "maybe"}, repo, {})
    assert bad.returncode == 2 and "open-pr must be true, false or dry-run" in bad.stderr


def test_example_workflow_repairs_failed_runs_with_the_needed_permissions() -> None:
    workflow = load(ROOT / "docs" / "examples" / "repair-on-failure.yml")
    trigger: Any = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True
    assert trigger["workflow_run"]["types"] == ["completed"]
    assert workflow["permissions"] == {"contents": "write", "pull-requests": "write"}
    (job,) = workflow["jobs"].values()
    assert "github.event.workflow_run.conclusion == 'failure'" in job["if"]
    assert "repair/" in job["if"]
    checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["ref"] == "${{ github.event.workflow_run.head_sha }}"
    action_step = next(s for s in job["steps"] if "test-command" in (s.get("with") or {}))
    assert set(action_step["with"]) <= set(load(ROOT / "action.yml")["inputs"])


def test_the_docs_list_every_input_and_output_of_the_action() -> None:
    action = load(ROOT / "action.yml")
    docs = (ROOT / "docs" / "github-action.md").read_text()
    for name in [*action["inputs"], *action["outputs"]]:
        assert f"`{name}`" in docs, name
