"""Models the agent can drive: OpenAI-compatible LLMs, the offline engine, scripted replies."""

from repair.models.base import FsmOnlyModel, Message, Model, ModelReply, RunClock, SearchingModel, ToolCall, Usage
from repair.models.pricing import DEFAULT_PRICES, load_prices, priced
from repair.models.reply_format import REPLY_FORMAT, parse_reply, reply_from_dict, reply_to_dict
from repair.models.scripted import ScriptedModel, ScriptExhaustedError

__all__ = ["DEFAULT_PRICES", "REPLY_FORMAT", "FsmOnlyModel", "Message", "Model", "ModelReply", "RunClock",
           "SearchingModel", "ScriptExhaustedError",
           "ScriptedModel", "ToolCall", "Usage", "load_prices", "parse_reply",
           "priced", "reply_from_dict", "reply_to_dict"]
