def is_sorted(items):
    """Return True if ``items`` is in non-decreasing order."""
    for i in range(1, len(items)):
        if items[i - 1] >= items[i]:
            return False
    return True
