import pytest

from python_programs.clamp_range import clamp_range


def test_inside():
    assert clamp_range([2, 3, 4], 0, 10) == [2, 3, 4]


def test_low():
    assert clamp_range([-5, -1], 0, 10) == [0, 0]


def test_high():
    assert clamp_range([11, 50], 0, 10) == [10, 10]


def test_mixed():
    assert clamp_range([-5, 0, 5, 15], 0, 10) == [0, 0, 5, 10]


def test_empty():
    assert clamp_range([], 0, 10) == []


def test_degenerate_interval():
    assert clamp_range([1, 3, 9], 3, 3) == [3, 3, 3]


def test_invalid_interval():
    with pytest.raises(ValueError):
        clamp_range([1], 5, 0)


def test_bounds_are_kept():
    assert clamp_range([0, 10], 0, 10) == [0, 10]


def test_negative_interval():
    assert clamp_range([-10, -2, 0], -5, -1) == [-5, -2, -1]
