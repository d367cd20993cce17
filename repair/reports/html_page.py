"""Self-contained HTML pieces: the page with its inline CSS, highlighted diffs, tables."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1100px;color:#1f2328;
 padding:0 16px}
h1{font-size:22px;margin-bottom:4px}
h2{font-size:17px;margin-top:28px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;
 vertical-align:top}th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
code,pre{font:12.5px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre.diff{background:#f6f8fa;border:1px solid #d0d7de;padding:8px;overflow-x:auto}
pre.diff span{display:block;white-space:pre}.add{background:#dafbe1;color:#116329}.del{background:#ffebe9;color:#82071e}
.hunk{color:#0550ae;background:#ddf4ff}.meta{color:#57606a;font-weight:600}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;color:#fff}
.good{background:#1a7f37}.bad{background:#cf222e}.warn{background:#9a6700}.info{background:#57606a}
svg.chart text{font:12px system-ui,sans-serif;fill:#1f2328}svg.chart .chart-title{font-weight:600}
svg.chart rect.plain{fill:#54aeff}svg.chart rect.accent{fill:#fb8f44}
.state-understand{color:#0969da}.state-collect{color:#8250df}.state-try_fix{color:#bf3989}.state-done{color:#1a7f37}
.muted{color:#57606a}
"""


def page(title: str, body: str) -> str:
    """A complete HTML document: no scripts, no external stylesheets, fonts or images."""
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{CSS}</style></head>\n<body>\n{body}\n</body></html>\n")


def diff_html(diff: str, element_id: str = "diff") -> str:
    """A unified diff with added, removed, hunk and header lines coloured."""
    if not diff.strip():
        return f'<p class="muted" id="{escape(element_id)}">(no patch)</p>'
    spans = []
    for line in diff.rstrip("\n").splitlines():
        if line.startswith(("+++", "---", "diff ", "index ")):
            cls = "meta"
        elif line.startswith("+"):
            cls = "add"
        elif line.startswith("-"):
            cls = "del"
        elif line.startswith("@@"):
            cls = "hunk"
        else:
            cls = "ctx"
        spans.append(f'<span class="{cls}">{escape(line) or " "}</span>')
    return f'<pre class="diff" id="{escape(element_id)}">{"".join(spans)}</pre>'


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[int] = (),
          element_id: str = "") -> str:
    """A table; cells are HTML already (escape text before passing it), `numeric` columns align right."""
    head = "<thead><tr>" + "".join(f"<th>{escape(h)}</th>" for h in headers) + "</tr></thead>" if headers else ""
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>" for i, c in enumerate(row))
        + "</tr>" for row in rows)
    ident = f' id="{escape(element_id)}"' if element_id else ""
    return f"<table{ident}>{head}<tbody>{body}</tbody></table>"


def badge(text: str, kind: str) -> str:
    return f'<span class="badge {escape(kind)}">{escape(text)}</span>'


def status_kind(status: str) -> str:
    return {"plausible": "good", "timeout": "warn", "cost_limit": "warn"}.get(status, "bad")
