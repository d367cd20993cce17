"""Bugs and the datasets they come from."""

from repair.datasets.bug import Bug, Dataset, Location
from repair.datasets.demo import DemoDataset
from repair.datasets.local import LocalDataset
from repair.datasets.quixbugs import QuixBugsDataset, QuixBugsLayout
from repair.datasets.registry import DatasetOptions, dataset_names, open_dataset, register_dataset, resolve_bug

__all__ = [
    "Bug", "Dataset", "DatasetOptions", "DemoDataset", "LocalDataset", "Location", "QuixBugsDataset",
    "QuixBugsLayout", "dataset_names", "open_dataset", "register_dataset", "resolve_bug",
]
