"""RepairAgent's 14 tools: each has a name, a description for the model, a JSON schema and `run(args, ctx)`."""

from repair.tools.base import (
    FixAttempt,
    Memory,
    Tool,
    ToolContext,
    ToolOptions,
    ToolResult,
    bounded,
)
from repair.tools.registry import all_tools, function_schema

__all__ = ["FixAttempt", "Memory", "Tool", "ToolContext", "ToolOptions", "ToolResult", "all_tools", "bounded",
           "function_schema"]
