"""The template families that use donor code, the reviewer's refusals, and pairs of partial candidates.

Each case is a small program of our own with a bug whose fix needs an ingredient that is not on the
buggy line; the fix must be among the candidates the templates make for that line.
"""

from __future__ import annotations

import pytest

from repair.offline.context import Candidate
from repair.offline.pairs import combine, pair_candidates
from repair.offline.reviewer import refusal, suspicion
from repair.offline.search import TEMPLATE_PRIOR, preference
from repair.offline.templates import generate, propose
from repair.syntax import parse
from repair.validation import ValidationResult

JAVA_WAYS = """import java.util.*;

public class Ways {
    public static int ways(int[] parts, int left) {
        if (left == 0) {
            return 1;
        }
        if (left < 0) {
            return 0;
        }
        return ways(parts, left - parts[0]) + ways(Arrays.copyOfRange(parts, 1, parts.length), left);
    }

    public static boolean balanced(String text) {
        int open = 0;
        for (char c : text.toCharArray()) {
            open += c == '(' ? 1 : -1;
            if (open < 0) {
                return false;
            }
        }
        return true;
    }

    public static boolean reachable(Node start, Node goal) {
        Deque<Node> queue = new ArrayDeque<>();
        queue.add(start);
        while (true) {
            Node node = queue.poll();
            if (node == goal) {
                return true;
            }
            queue.addAll(node.next);
        }
    }

    public static boolean cyclic(Node head) {
        Node fast = head;
        while (true) {
            if (fast.next == null) {
                return false;
            }
            fast = fast.next.next;
        }
    }

    public static int best(int[] xs) {
        int run = 0;
        int most = 0;
        for (int x : xs) {
            run = run + x;
            most = run;
        }
        return most;
    }
}

class Node {
    Node next;
}
"""

PYTHON_SEARCH = '''def find(arr, x):
    def go(lo, hi):
        if lo == hi:
            return -1
        mid = (lo + hi) // 2
        if x > arr[mid]:
            return go(mid, hi)
        elif x < arr[mid]:
            return go(lo, mid)
        return mid
    return go(0, len(arr))


def reachable(start, goal):
    queue = [start]
    seen = set()
    while True:
        node = queue.pop()
        if node is goal:
            return True
        queue.extend(n for n in node.next if n not in seen)


def visits(start, goal):
    seen = set()

    def walk(node):
        if node in seen:
            return False
        elif node is goal:
            return True
        return any(walk(n) for n in node.next)

    return walk(start)


def reverse(cur):
    prev = None
    while cur:
        nxt = cur.next
        cur.next = prev
        cur = nxt
    return prev


def stream(items, k):
    head = items[:k]
    for x in items:
        yield x


def factors(n):
    for i in range(2, n):
        if n % i == 0:
            return [i] + factors(n // i)
    return []


def parents(node):
    return node.children


def other(node):
    return node.parent


def digits(num, base):
    out = ''
    while num > 0:
        out = out + str(num % base)
        num = num // base
    return out


def dist(a, b):
    if not a or not b:
        return len(a) + len(b)
    if a[0] == b[0]:
        return 1 + dist(a[1:], b[1:])
    return 1 + min(dist(a, b[1:]), dist(a[1:], b))


def common(a, b):
    if not a or not b:
        return ''
    if a[0] == b[0]:
        return a[0] + common(a[1:], b)
    return max(common(a, b[1:]), common(a[1:], b), key=len)


def best(xs):
    run = 0
    most = 0
    for x in xs:
        run = run + x
        most = max(most, run)
    return most
'''


def line_of(text: str, snippet: str, after: int = 0) -> int:
    lines = text.splitlines()
    return next(i for i, ln in enumerate(lines, start=1) if i > after and snippet in ln)


def fixes(language: str, text: str, line: int) -> dict[str, str]:
    """new text (whitespace-normalised) -> template, for every candidate at the line."""
    return {" ".join(c.new_text.split()): c.template for c in generate(language, text, line, "p/X")}


def with_line(text: str, line: int, new: str) -> str:
    lines = text.splitlines()
    lines[line - 1] = new
    return " ".join("\n".join(lines).split())


JAVA_CASES = [
    ("if (left < 0) {", "if (left < 0 || parts.length == 0) {", "emptiness-check"),
    ("return true;", "return open == 0;", "boolean-expression"),
    ("if (fast.next == null) {", "if (fast == null || fast.next == null) {", "null-check"),
    ("run = run + x;", "run = Math.max(0, run + x);", "wrap-call"),
    ("most = run;", "most = Math.max(most, run);", "wrap-call"),
]


@pytest.mark.parametrize(("snippet", "fixed", "template"), JAVA_CASES)
def test_java_donor_families_make_the_fix(snippet: str, fixed: str, template: str) -> None:
    line = line_of(JAVA_WAYS, snippet)
    made = fixes("java", JAVA_WAYS, line)
    want = with_line(JAVA_WAYS, line, JAVA_WAYS.splitlines()[line - 1].replace(snippet, fixed))
    assert made.get(want) == template


def test_an_endless_loop_is_bounded_by_the_collection_it_consumes_and_gets_its_return() -> None:
    line = line_of(JAVA_WAYS, "while (true) {")
    texts = [c.new_text for c in generate("java", JAVA_WAYS, line, "p/X") if c.template == "emptiness-check"]
    assert any("while (!queue.isEmpty()) {" in t and "        }\n        return false;\n    }" in t for t in texts)


PYTHON_CASES = [
    ("return go(mid, hi)", "return go(mid + 1, hi)", "shift-by-one"),
    ("while True:", "while queue:", "emptiness-check"),
    ("for x in items:", "for x in items[k:]:", "iterate-rest"),
    ("    return []", "    return [n]", "collection-literal"),
    ("return node.children", "return node.parent", "attribute"),
    ("out = out + str(num % base)", "out = str(num % base) + out", "swap-operands"),
    ("return 1 + dist(a[1:], b[1:])", "return dist(a[1:], b[1:])", "expression-reduce"),
    ("return a[0] + common(a[1:], b)", "return a[0] + common(a[1:], b[1:])", "expression-replace"),
    ("run = run + x", "run = max(0, run + x)", "wrap-call"),
]


@pytest.mark.parametrize(("snippet", "fixed", "template"), PYTHON_CASES)
def test_python_donor_families_make_the_fix(snippet: str, fixed: str, template: str) -> None:
    line = line_of(PYTHON_SEARCH, snippet)
    made = fixes("python", PYTHON_SEARCH, line)
    want = with_line(PYTHON_SEARCH, line, PYTHON_SEARCH.splitlines()[line - 1].replace(snippet, fixed))
    assert made.get(want) == template


@pytest.mark.parametrize(("snippet", "inserted", "template"), [
    ("return any(walk(n) for n in node.next)", "seen.add(node)", "insert-call"),
    ("cur = nxt", "prev = cur", "insert-assignment"),
])
def test_python_missing_statements_are_inserted_from_donors(snippet: str, inserted: str, template: str) -> None:
    line = line_of(PYTHON_SEARCH, snippet)
    cands = [c for c in generate("python", PYTHON_SEARCH, line, "p/x.py") if c.template == template]
    indent = PYTHON_SEARCH.splitlines()[line - 1][:-len(PYTHON_SEARCH.splitlines()[line - 1].lstrip())]
    assert any(f"\n{indent}{inserted}\n{PYTHON_SEARCH.splitlines()[line - 1]}\n" in c.new_text for c in cands)


RELAX = """def relax(source, by_edge):
    by_node = {v: float('inf') for u, v in by_edge}
    by_node[source] = 0
    for (u, v), w in by_edge.items():
        by_edge[u, v] = min(by_node[u] + w, by_node[v])
    return by_node
"""
JAVA_RELAX = """import java.util.*;

public class Relax {
    public static Map<String, Integer> relax(String source, Map<List<String>, Integer> byEdge) {
        Map<String, Integer> byNode = new HashMap<String, Integer>();
        byNode.put(source, 0);
        for (List<String> edge : byEdge.keySet()) {
            int w = Math.min(byNode.get(edge.get(0)) + byEdge.get(edge), byNode.get(edge.get(1)));
            byEdge.put(edge, w);
        }
        return byNode;
    }
}
"""


def test_a_write_to_the_wrong_container_goes_to_the_one_the_method_reads() -> None:
    line = line_of(RELAX, "by_edge[u, v] = ")
    made = fixes("python", RELAX, line)
    assert made.get(with_line(RELAX, line, "        by_node[v] = min(by_node[u] + w, by_node[v])")) == "redirect-write"
    line = line_of(JAVA_RELAX, "byEdge.put(edge, w);")
    made = fixes("java", JAVA_RELAX, line)
    assert made.get(with_line(JAVA_RELAX, line, "            byNode.put(edge.get(1), w);")) == "redirect-write"
    # A list's `get(i)` is no key to put at.
    assert not any("edge.put(" in text for text in made)


def test_a_list_comprehension_is_joined_with_a_live_list() -> None:
    text = ("def subsets(xs):\n    if not xs:\n        return [[]]\n    rest = subsets(xs[1:])\n"
            "    return [[xs[0]] + s for s in rest]\n")
    line = line_of(text, "return [[xs[0]]")
    made = fixes("python", text, line)
    assert made.get(with_line(text, line, "    return rest + [[xs[0]] + s for s in rest]")) == "join-list"


def test_a_java_empty_collection_is_made_to_hold_an_empty_one() -> None:
    text = ("import java.util.*;\n\npublic class Choose {\n"
            "    public static ArrayList<ArrayList> choose(int n, int k) {\n"
            "        if (k == 0) {\n            return new ArrayList();\n        }\n"
            "        return choose(n - 1, k - 1);\n    }\n}\n")
    line = line_of(text, "return new ArrayList();")
    made = fixes("java", text, line)
    want = "            return new ArrayList(java.util.Arrays.asList(new ArrayList()));"
    assert made.get(with_line(text, line, want)) == "collection-literal"


def test_a_shift_that_only_moves_an_integer_comparisons_edge_is_left_to_the_operator() -> None:
    text = "class K {\n    static int f(int w, int j, double x) {\n        if (w < j && x < j) {\n" \
           "            return 1;\n        }\n        return 0;\n    }\n}\n"
    made = fixes("java", text, 3)
    line = text.splitlines()[2]
    shifted = {new: template for new, template in made.items() if template == "shift-by-one"}
    assert with_line(text, 3, line.replace("w < j", "w + 1 < j")) in shifted
    assert with_line(text, 3, line.replace("w < j", "w < j - 1")) in shifted
    # `w - 1 < j` and `w < j + 1` are `w <= j`, which the operator family makes.
    assert with_line(text, 3, line.replace("w < j", "w - 1 < j")) not in made
    assert with_line(text, 3, line.replace("w < j", "w < j + 1")) not in made
    assert made.get(with_line(text, 3, line.replace("w < j", "w <= j"))) == "operator"
    # On a double the two differ: `x - 1 < j` stays.
    assert with_line(text, 3, line.replace("x < j", "x - 1 < j")) in shifted


def test_every_family_has_a_prior_and_every_location_explains_itself() -> None:
    for language, text in (("java", JAVA_WAYS), ("python", PYTHON_SEARCH)):
        for line in range(1, text.count("\n") + 1):
            made = propose(language, text, line, "p/X")
            assert all(c.template in TEMPLATE_PRIOR for c in made.candidates)
            assert made.candidates or made.note
            assert sum(kept for _, kept in made.families.values()) == len(made.candidates)
    blank = propose("python", PYTHON_SEARCH, line_of(PYTHON_SEARCH, "def visits") - 1, "p/x.py")
    assert blank.note.startswith("no code starts on this line")


REVIEW_OLD = "class A { int f(int x, int n) { if (x < n) { return x + 1; } return n; } }"


@pytest.mark.parametrize(("new", "reason"), [
    ("class A { int f(int x, int n) { if (x < n) { return x * 1; } return n; } }", "identity"),
    ("class A { int f(int x, int n) { if (x < n) { return 1 * x; } return n; } }", "identity"),
    ("class A { int f(int x, int n) { if (x < n) { return x + 1 - 0; } return n; } }", "identity"),
    ("class A { int f(int x, int n) { if (false) { return x + 1; } return n; } }", "constant-condition"),
    ("class A { int f(int x, int n) { if (0 < 0 || x < n) { return x + 1; } return n; } }", "constant-condition"),
    ("class A { int f(int x, int n) { if (x < n) { return x + 2; } return n; } }", None),
])
def test_the_reviewer_refuses_identities_and_constant_conditions(new: str, reason: str | None) -> None:
    assert refusal("java", REVIEW_OLD, new, parse("java", REVIEW_OLD), parse("java", new), "operator") == reason


def test_the_reviewer_refuses_deleted_exits_and_a_deleting_patch_is_suspect() -> None:
    old = "def f(xs):\n    for x in xs:\n        if x:\n            return x\n        print(x)\n    return None\n"
    no_return = old.replace("            return x\n", "            pass\n")
    assert refusal("python", old, no_return, parse("python", old), parse("python", no_return),
                   "remove-statement") == "deletes-exit"
    removed = Candidate("f.py", 5, "remove-statement", "remove", old, old.replace("        print(x)\n", ""), 17)
    changed = Candidate("f.py", 3, "operator", "x -> not x", old, old.replace("if x:", "if not x:"), 4)
    assert suspicion(removed).startswith("it deletes behaviour") and not suspicion(changed)
    assert sorted([removed, changed], key=preference) == [changed, removed]


def test_the_reviewer_refuses_a_statement_made_a_query_whose_answer_is_dropped() -> None:
    java = "class A { void f(java.util.List<String> tokens) { tokens.add(\"--\"); tokens.add(\"x\"); } }"
    query = java.replace('tokens.add("--")', 'tokens.equals("--")')
    other_call = java.replace('tokens.add("--")', 'tokens.remove("--")')
    for new, reason in ((query, "discards-query"), (other_call, None)):
        assert refusal("java", java, new, parse("java", java), parse("java", new), "method") == reason
    python = "def f(out, x):\n    out.append(x)\n    return out\n"
    dropped = python.replace("out.append(x)", "out.count(x)")
    assert refusal("python", python, dropped, parse("python", python), parse("python", dropped),
                   "method") == "discards-query"
    # A query whose answer is used is no refusal.
    used = python.replace("out.append(x)", "out = out.copy()")
    assert refusal("python", python, used, parse("python", python), parse("python", used), "method") is None


def test_an_equality_base_case_of_a_recursion_is_suspect_and_the_next_boundary_is_made() -> None:
    text = "def halves(xs):\n    if len(xs) == 0:\n        return xs\n    return halves(xs[:len(xs) // 2])\n"
    made = {c.new_text: c for c in generate("python", text, 2, "h.py")}
    equal_one = made[text.replace("== 0", "== 1")]
    at_most_one = made[text.replace("== 0", "<= 1")]
    assert at_most_one.template == "boundary" and text.replace("== 0", "<= 0") in made
    assert "recursion's base case" in suspicion(equal_one) and not suspicion(at_most_one)
    assert sorted([equal_one, at_most_one], key=preference)[0] is at_most_one


def test_a_patch_that_drops_the_last_recursive_call_is_suspect() -> None:
    text = ("def total(xs):\n    if not xs:\n        return 0\n    return xs[0] + total(xs[1:])\n\n\n"
            "def loop(xs):\n    return loop(xs)\n")
    dropped = Candidate("t.py", 4, "expression-reduce", "unwrap", text, text.replace("total(xs[1:])", "xs[1]"), 5)
    assert "call to itself" in suspicion(dropped)
    # A call that passes the function's own parameters unchanged can only recurse forever: dropping it is a fix.
    endless = Candidate("t.py", 8, "expression-reduce", "unwrap", text, text.replace("return loop(xs)",
                                                                                      "return xs"), 5)
    assert not suspicion(endless)
    java = "class T { static int f(int n) { if (n == 0) return 0; return 1 + f(n - 1); } }"
    assert suspicion(Candidate("T.java", 1, "expression-reduce", "unwrap", java, java.replace("f(n - 1)", "n"), 5))


def test_a_patch_that_leaves_a_parameter_unread_is_suspect() -> None:
    text = ("class Box {\n    int size;\n    int limit;\n    Box(int size) { this.size = size; }\n"
            "    void setSize(int size) {\n        this.size = size;\n    }\n}\n")
    ignored = Candidate("Box.java", 6, "variable", "size -> limit", text,
                        text.replace("        this.size = size;", "        this.size = limit;"), 5)
    assert "parameter `size` unread" in suspicion(ignored)
    kept = Candidate("Box.java", 6, "shift-by-one", "size -> size + 1", text,
                     text.replace("        this.size = size;", "        this.size = size + 1;"), 4)
    assert not suspicion(kept)


def test_a_patch_that_stops_returning_what_the_function_builds_is_suspect() -> None:
    text = ("def totals(by_edge):\n    by_path = {}\n    for edge, w in by_edge.items():\n"
            "        by_path[edge] = w + 1\n    return by_path\n")
    thrown = Candidate("t.py", 5, "variable", "by_path -> by_edge", text,
                       text.replace("return by_path", "return by_edge"), 5)
    assert "no longer returns `by_path`" in suspicion(thrown)
    fixed = Candidate("t.py", 4, "literal", "1 -> 2", text, text.replace("w + 1", "w + 2"), 1)
    assert not suspicion(fixed)


def test_partial_candidates_pair_up_best_first() -> None:
    text = "def f(a, b):\n    x = a - 1\n    y = b - 1\n    return x + y\n"
    cands = {c.new_text: c for c in generate("python", text, 2, "f.py") + generate("python", text, 3, "f.py")}
    first, second = cands[text.replace("a - 1", "a + 1")], cands[text.replace("b - 1", "b + 1")]
    both = combine(first, second)
    assert both is not None and both.new_text == "def f(a, b):\n    x = a + 1\n    y = b + 1\n    return x + y\n"
    assert both.template == "operator+operator" and combine(first, first) is None
    partial = ValidationResult("not-plausible", still_failing=["t2"], fixed=["t1"])
    pairs, _ = pair_candidates([(first, partial, 0.2), (second, partial, 0.2)])
    assert [p.new_text for p in pairs] == [both.new_text]
