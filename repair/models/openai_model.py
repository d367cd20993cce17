"""`OpenAIModel`: any OpenAI-compatible chat-completions server, with JSON replies or native tool calls."""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any

import openai

from repair.errors import RepairError
from repair.models.base import Message, ModelReply, ToolCall, Usage
from repair.models.budget import BudgetSpent
from repair.models.pricing import priced, prompt_tokens_estimate, token_prices, tokens_estimate
from repair.models.reply_format import parse_reply

log = logging.getLogger(__name__)


class ModelUnavailableError(RepairError):
    """The model server refused or kept failing; the message never contains the API key."""


class OpenAIModel:
    """Chat completions through the `openai` client. Retries 429 and 5xx itself, with exponential backoff.

    The API key is passed to the client only; it is never stored in a field that is printed or logged.
    """

    def __init__(self, model: str, base_url: str | None = None, api_key: str | None = None,
                 native_tools: bool = True, max_retries: int = 4, backoff_s: float = 1.0,
                 timeout_s: float = 120.0, temperature: float = 0.0,
                 prices: dict[str, tuple[float, float]] | None = None) -> None:
        key = api_key or os.environ.get("OPENAI_API_KEY")
        if not key and base_url is None:
            raise RepairError("OPENAI_API_KEY is not set: export it, or use --base-url for a local server, "
                              "or --model offline")
        self.name = model
        self.base_url = base_url
        self.native_tools = native_tools
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.temperature = temperature
        self.prices = prices
        # Local OpenAI-compatible servers accept any key; the client insists on one.
        self._client = openai.OpenAI(api_key=key or "not-needed", base_url=base_url, max_retries=0,
                                     timeout=timeout_s)
        self.timeout_s = timeout_s

    def __repr__(self) -> str:
        return f"OpenAIModel(name={self.name!r}, base_url={self.base_url!r})"

    def token_prices(self) -> tuple[float, float]:
        return token_prices(self.name, self.prices)

    def check_reachable(self, timeout_s: float = 10.0) -> None:
        """One cheap request (the model list; no tokens) before a run, so that a server that cannot be reached
        or refuses the key fails in a second, not after the checkout. Any other answer counts as reachable:
        many local servers do not list their models."""
        try:
            self._client.models.list(timeout=timeout_s)
        except (openai.AuthenticationError, openai.PermissionDeniedError, openai.APIConnectionError) as exc:
            where = self.base_url or "the OpenAI API"
            raise ModelUnavailableError(f"model {self.name}: cannot use {where}: {self._describe(exc)}") from None
        except (openai.APIError, ValueError, TypeError):
            return

    def complete(self, messages: list[Message], tools: list[dict[str, Any]]) -> ModelReply:
        return self.complete_within(messages, tools, deadline=None, max_completion_tokens=None)

    def complete_within(self, messages: list[Message], tools: list[dict[str, Any]], *, deadline: float | None,
                        max_completion_tokens: int | None) -> ModelReply:
        request: dict[str, Any] = {"model": self.name, "messages": messages, "temperature": self.temperature}
        if tools and self.native_tools:
            request["tools"] = tools
        if max_completion_tokens is not None:
            request["max_tokens"] = max(max_completion_tokens, 1)
        response = self._create(request, deadline)
        if not hasattr(response, "choices") or not hasattr(response, "usage"):
            raise ModelUnavailableError(f"model {self.name}: the server's reply is not an OpenAI chat completion")
        if not response.choices:
            return ModelReply("", usage=self._usage(response, messages, tools, ""),
                              error="the server returned no choices")
        message = response.choices[0].message
        text = message.content or ""
        usage = self._usage(response, messages, tools, text + json.dumps(
            [getattr(c.function, "arguments", "") for c in message.tool_calls or [] if getattr(c, "function", None)]))
        if message.tool_calls:
            call = message.tool_calls[0]
            function = getattr(call, "function", None)
            name = getattr(function, "name", "") or ""
            raw = getattr(function, "arguments", "") or "{}"
            shown = json.dumps({"tool_call": {"name": name, "arguments": raw}, "content": text})
            try:
                args = json.loads(raw)
            except json.JSONDecodeError as exc:
                return ModelReply(shown, text, usage=usage,
                                  error=f"the arguments of the tool call {name} are not valid JSON ({exc.msg})")
            if not isinstance(args, dict):
                return ModelReply(shown, text, usage=usage, error=f"the arguments of {name} must be a JSON object")
            return ModelReply(shown, text, ToolCall(name, args), usage=usage)
        return parse_reply(text, usage)

    def _usage(self, response: Any, messages: list[Message], tools: list[dict[str, Any]], reply: str) -> Usage:
        """The server's token counts, priced; estimated from the text's length when it sent none."""
        prompt = getattr(response.usage, "prompt_tokens", 0) or 0
        completion = getattr(response.usage, "completion_tokens", 0) or 0
        if prompt or completion:
            return priced(self.name, prompt, completion, self.prices)
        return priced(self.name, prompt_tokens_estimate(messages, tools), tokens_estimate(reply), self.prices,
                      estimated=True)

    def _create(self, request: dict[str, Any], deadline: float | None) -> Any:
        for attempt in range(self.max_retries + 1):
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 1:
                raise BudgetSpent(f"model {self.name}: the time budget is spent")
            timeout = self.timeout_s if left is None else min(self.timeout_s, left)
            try:
                return self._client.chat.completions.create(**request, timeout=timeout)
            except openai.BadRequestError as exc:
                if "tools" not in request:
                    raise ModelUnavailableError(f"model {self.name}: {self._describe(exc)}") from None
                # Many local servers reject `tools`; the prompt describes the tools and the JSON reply
                # format anyway, so go on without native tool calls for the rest of the run.
                log.info("model %s: %s with native tools; falling back to JSON replies", self.name,
                         self._describe(exc))
                self.native_tools = False
                request.pop("tools")
            except (json.JSONDecodeError, openai.APIResponseValidationError, TypeError) as exc:
                raise ModelUnavailableError(f"model {self.name}: the server's reply is not an OpenAI chat "
                                            f"completion ({type(exc).__name__})") from None
            except (openai.RateLimitError, openai.InternalServerError, openai.APIConnectionError) as exc:
                if attempt == self.max_retries:
                    raise ModelUnavailableError(f"model {self.name}: {self._describe(exc)} after "
                                                f"{attempt + 1} tries") from None
                delay = self._delay(exc, attempt)
                if deadline is not None:  # a wait past the deadline would only end in "time budget spent"
                    delay = max(min(delay, deadline - time.monotonic() - 1), 0)
                log.info("model %s: %s; retrying in %.1fs", self.name, self._describe(exc), delay)
                time.sleep(delay)
            except openai.APIStatusError as exc:
                raise ModelUnavailableError(f"model {self.name}: {self._describe(exc)}") from None
        raise AssertionError("unreachable")

    def _delay(self, exc: Exception, attempt: int) -> float:
        retry_after = None
        response = getattr(exc, "response", None)
        if response is not None:
            try:
                retry_after = float(response.headers.get("retry-after", ""))
            except ValueError:
                retry_after = None
        base = self.backoff_s * (2 ** attempt)
        return min(retry_after if retry_after is not None else base, 60.0)

    @staticmethod
    def _describe(exc: Exception) -> str:
        status = getattr(exc, "status_code", None)
        # Only the status and the error class: server messages can echo request headers.
        return f"HTTP {status} ({type(exc).__name__})" if status else type(exc).__name__
