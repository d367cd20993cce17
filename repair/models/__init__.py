"""Models the agent can drive: OpenAI-compatible LLMs, the offline engine, scripted replies."""

from repair.models.base import (
    BoundedModel,
    FsmOnlyModel,
    Message,
    Model,
    ModelGaveUp,
    ModelReply,
    SearchingModel,
    ToolCall,
    Usage,
)
from repair.models.budget import Budget, BudgetedModel, BudgetSpent, RunBudget, usd
from repair.models.pricing import DEFAULT_PRICES, load_prices, priced
from repair.models.reply_format import REPLY_FORMAT, parse_reply, reply_from_dict, reply_to_dict
from repair.models.scripted import ScriptedModel, ScriptExhaustedError

__all__ = ["DEFAULT_PRICES", "REPLY_FORMAT", "BoundedModel", "Budget", "BudgetSpent", "BudgetedModel",
           "FsmOnlyModel", "Message", "Model", "ModelGaveUp", "ModelReply", "RunBudget", "SearchingModel",
           "ScriptExhaustedError",
           "ScriptedModel", "ToolCall", "Usage", "load_prices", "parse_reply",
           "priced", "reply_from_dict", "reply_to_dict", "usd"]
