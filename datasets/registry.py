"""Bug ids to datasets: `demo:X`, `quixbugs-java:X`, `quixbugs-python:x`, `local:PATH`, ..."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from repair.datasets import defects4j, gitbug
from repair.datasets.bug import Bug, Dataset
from repair.datasets.demo import DemoDataset
from repair.datasets.local import LocalDataset
from repair.datasets.quixbugs import QuixBugsDataset
from repair.errors import UnknownBugError


@dataclass
class DatasetOptions:
    """Options from the command line that some datasets need."""

    quixbugs_root: str | None = None
    test_cmd: str | None = None
    repo: str | None = None
    final_test_cmd: str | None = None  # a local repo's whole suite, run before a patch is called plausible


DatasetFactory = Callable[[DatasetOptions], Dataset]

DATASETS: dict[str, DatasetFactory] = {
    "demo": lambda o: DemoDataset(),
    "quixbugs-java": lambda o: QuixBugsDataset("java", o.quixbugs_root),
    "quixbugs-python": lambda o: QuixBugsDataset("python", o.quixbugs_root),
    "defects4j": lambda o: defects4j.Defects4JDataset(),
    "gitbug-java": lambda o: gitbug.GitBugJavaDataset(),
}


def register_dataset(name: str, factory: DatasetFactory) -> None:
    """Add a dataset (used by adapters that live in optional modules, e.g. Defects4J)."""
    DATASETS[name] = factory


def open_dataset(name: str, options: DatasetOptions | None = None) -> Dataset:
    options = options or DatasetOptions()
    if name == "local":
        if not options.repo:
            raise UnknownBugError("the local dataset needs --repo DIR")
        return LocalDataset(options.repo, options.test_cmd, final_test_cmd=options.final_test_cmd)
    if name not in DATASETS:
        raise UnknownBugError(f"unknown dataset '{name}': known datasets are {', '.join(dataset_names())}")
    return DATASETS[name](options)


def dataset_names() -> list[str]:
    return sorted([*DATASETS, "local"])


def resolve_bug(bug_id: str, options: DatasetOptions | None = None) -> tuple[Dataset, Bug]:
    """The dataset and bug for an id like `demo:GCD_LOOP` or `local:/path/to/repo`."""
    options = options or DatasetOptions()
    if ":" not in bug_id and defects4j.looks_like_bug_id(bug_id):
        bug_id = f"defects4j:{bug_id}"  # the short form everyone uses: Closure-14
    prefix, sep, rest = bug_id.partition(":")
    if not sep or not rest:
        raise UnknownBugError(
            f"unknown bug id '{bug_id}': use DATASET:NAME, e.g. demo:GCD_LOOP or quixbugs-java:GCD "
            f"(datasets: {', '.join(dataset_names())})"
        )
    if prefix == "local":
        dataset: Dataset = LocalDataset(rest, options.test_cmd, final_test_cmd=options.final_test_cmd)
    else:
        dataset = open_dataset(prefix, options)
    return dataset, dataset.get(bug_id)
