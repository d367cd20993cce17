import pytest

from python_programs.digit_sum import digit_sum


def test_zero():
    assert digit_sum(0) == 0


def test_negative():
    with pytest.raises(ValueError):
        digit_sum(-12)


def test_single_digit():
    assert digit_sum(7) == 7


def test_multi_digit():
    assert digit_sum(1234) == 10


def test_trailing_zero():
    assert digit_sum(100) == 1


def test_large():
    assert digit_sum(999999) == 54
