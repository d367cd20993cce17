def _between(lo, hi, x):
    """Return x limited to the closed interval [lo, hi]."""
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x


def clamp_range(values, lo, hi):
    """Clamp every value in ``values`` into the interval [lo, hi]."""
    if lo > hi:
        raise ValueError("lo must not exceed hi")
    return [_between(hi, lo, x) for x in values]
