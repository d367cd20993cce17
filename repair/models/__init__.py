"""Models the agent can drive: OpenAI-compatible LLMs, the offline engine, scripted replies."""

from repair.models.base import Message, Model, ModelReply, ToolCall, Usage

__all__ = ["Message", "Model", "ModelReply", "ToolCall", "Usage"]
