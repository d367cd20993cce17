"""generate_method_body: ask the model for a method body, given the signature and its context."""

from __future__ import annotations

from typing import Any

from repair.tools.base import ToolContext, ToolResult, bounded, schema


class GenerateMethodBody:
    name = "generate_method_body"
    description = ("Ask for a new body of a method, given its signature and what it should do; the answer is "
                   "only shown to you, use write_fix to try it.")
    parameters = schema({"signature": {"type": "string"}, "context": {"type": "string",
                                                                      "description": "what the body must do"}},
                        ["signature"])

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        signature = str(args.get("signature") or "").strip()
        if not signature:
            return ToolResult.error("give 'signature', e.g. 'public static int gcd(int a, int b)'")
        if ctx.model is None:
            return ToolResult.error("no model is available to generate a method body", malformed=False)
        prompt = (f"Write the body of this {ctx.bug.language} method. Answer with the code only.\n"
                  f"Signature: {signature}\nContext: {args.get('context') or '(none)'}\n"
                  f"Current hypothesis about the bug: {ctx.memory.hypothesis or '(none)'}")
        reply = ctx.model.complete([{"role": "user", "content": prompt}], [])
        body = reply.text.strip()
        if not body:
            return ToolResult.error("the model returned no body", malformed=False)
        return ToolResult(bounded(f"generated body for {signature}:\n{body}", ctx.options.max_output_chars))
