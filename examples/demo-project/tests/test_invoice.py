from invoice import total


def test_total():
    assert total([0.1, 0.2], discount=0.0) == 0.3


def test_empty():
    assert total([], 0.5) == 0
