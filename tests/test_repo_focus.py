"""RepoFocus: BM25 over files and methods plus the import graph, on a 30+-file fixture repository."""

from __future__ import annotations

from pathlib import Path

from repair.fixagent.repo_focus import describe, imports_of, rank_related, tokens

FIXTURE = Path(__file__).parent / "fixtures" / "repofocus"
FAILURE = """tests/test_checkout.py::test_total_with_percentage_discount
>       assert order_total(cart, 10, "none") == 90.0
E       assert 99.0 == 90.0
"""


def is_test(path: str) -> bool:
    return path.startswith("tests/")


def fixture_files() -> dict[str, str]:
    files = {p.relative_to(FIXTURE).as_posix(): p.read_text() for p in FIXTURE.rglob("*.py")
             if p.name != "make_fixture.py"}
    assert len(files) >= 30
    return files


def test_the_discount_module_ranks_in_the_top_3_for_the_checkout_failure() -> None:
    files = fixture_files()
    focus = "shop/orders/checkout.py"
    related = rank_related(files, FAILURE + files[focus], focus=focus, top=5, skip=is_test)
    top3 = [r.path for r in related[:3]]
    assert "shop/pricing/discount.py" in top3, describe(related)
    assert focus not in [r.path for r in related]
    discount = next(r for r in related if r.path == "shop/pricing/discount.py")
    assert any("import link" in reason for reason in discount.reasons)
    assert any("method matches" in reason for reason in discount.reasons)


def test_bm25_alone_finds_the_discount_module_from_the_failure() -> None:
    related = rank_related(fixture_files(), FAILURE + "apply_percentage_discount percent", top=3, skip=is_test)
    assert "shop/pricing/discount.py" in [r.path for r in related]
    assert all(not r.path.startswith("tests/") for r in related)


def test_import_graph_resolves_python_and_java_imports() -> None:
    files = fixture_files()
    assert imports_of("shop/orders/checkout.py", files["shop/orders/checkout.py"], sorted(files)) == {
        "shop/orders/cart.py", "shop/pricing/discount.py", "shop/pricing/tax.py"}
    java = ["src/main/java/a/Shop.java", "src/main/java/a/Cart.java", "src/main/java/b/Tax.java",
            "src/main/java/a/Unused.java"]
    text = "package a;\nimport b.Tax;\nclass Shop { Cart cart; double t = Tax.rate(); }\n"
    assert imports_of(java[0], text, java) == {"src/main/java/a/Cart.java", "src/main/java/b/Tax.java"}


def test_tokens_split_identifiers_and_drop_keywords() -> None:
    assert tokens("def applyPercentageDiscount(self, max_value):") == [
        "applypercentagediscount", "apply", "percentage", "discount", "max", "value"]
    assert rank_related({"a.py": "x = 1\n"}, "") == []
