"""The 14 tools by name, and their OpenAI function schemas."""

from __future__ import annotations

from typing import Any

from repair.tools.base import Tool
from repair.tools.code_reading import ExtractMethod, GetClassesAndMethods, ReadRange
from repair.tools.fixing import GoalAccomplished, WriteFix
from repair.tools.generation import GenerateMethodBody
from repair.tools.hypotheses import CollectMoreInformation, DiscardHypothesis, ExpressHypothesis
from repair.tools.localize import RunFaultLocalization
from repair.tools.search import FindSimilarApiCalls, SearchCodeBase
from repair.tools.test_tools import ExtractTests, RunTests


def all_tools() -> dict[str, Tool]:
    """A fresh instance of each of RepairAgent's 14 tools, by name."""
    tools: list[Tool] = [
        ReadRange(), GetClassesAndMethods(), ExtractMethod(), ExtractTests(), SearchCodeBase(),
        FindSimilarApiCalls(), GenerateMethodBody(), RunTests(), RunFaultLocalization(), WriteFix(),
        ExpressHypothesis(), DiscardHypothesis(), CollectMoreInformation(), GoalAccomplished(),
    ]
    return {t.name: t for t in tools}


def function_schema(tool: Tool) -> dict[str, Any]:
    """The tool as an OpenAI `tools` entry."""
    return {"type": "function",
            "function": {"name": tool.name, "description": tool.description, "parameters": tool.parameters}}
