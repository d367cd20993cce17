"""Patch review reports of runs, batch summaries, and comparisons of two runs."""

from repair.reports.compare import Comparison, compare_runs, load_outcomes, render_comparison
from repair.reports.patch_match import ground_truth_match, match_label
from repair.reports.run_report import write_run_reports
from repair.reports.run_review import RunReview, read_review, read_run_result, review_run
from repair.reports.summary import totals, write_summary

__all__ = [
    "Comparison", "RunReview", "compare_runs", "ground_truth_match", "load_outcomes", "match_label",
    "read_review", "read_run_result", "render_comparison", "review_run", "totals", "write_run_reports", "write_summary",
]
