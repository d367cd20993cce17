from python_programs.is_sorted import is_sorted


def test_empty():
    assert is_sorted([]) is True


def test_single():
    assert is_sorted([4]) is True


def test_strictly_increasing():
    assert is_sorted([1, 2, 3, 8]) is True


def test_unsorted():
    assert is_sorted([3, 1, 2]) is False


def test_with_duplicates():
    assert is_sorted([1, 1, 2, 5]) is True


def test_all_equal():
    assert is_sorted([2, 2, 2]) is True


def test_unsorted_with_duplicates():
    assert is_sorted([5, 3, 3]) is False


def test_duplicates_then_a_drop():
    assert is_sorted([1, 2, 2, 1]) is False
