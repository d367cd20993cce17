"""Parse JUnit XML reports (Maven Surefire, Gradle, pytest --junitxml) into a TestReport."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from repair.runners.report import TestReport, TestResult, TestStatus


def parse_junit_xml(text: str, report: TestReport | None = None) -> TestReport:
    """Add every <testcase> of a JUnit XML document to `report` (a new one by default)."""
    report = report or TestReport()
    root = ET.fromstring(text)
    for case in root.iter("testcase"):
        cls = case.get("classname", "")
        name = case.get("name", "")
        test_id = f"{cls}::{name}" if cls else name
        seconds = float(case.get("time", "0") or 0)
        status, message, trace = TestStatus.PASS, "", ""
        for tag, kind in (("failure", TestStatus.FAIL), ("error", TestStatus.ERROR)):
            node = case.find(tag)
            if node is not None:
                status = kind
                message = node.get("message", "") or ""
                trace = node.text or ""
                break
        if case.find("skipped") is not None:
            status = TestStatus.SKIP
        lowered = f"{message} {trace[:300]}".lower()
        if status.failed and ("timed out" in lowered or "timeout" in lowered):
            status = TestStatus.TIMEOUT
        report.add(TestResult(test_id, status, message, trace, seconds))
    return report
