def digit_sum(n):
    """Return the sum of the decimal digits of the non-negative integer ``n``."""
    if n < 0:
        raise ValueError("n must be non-negative")
    total = 0
    while n > 0:
        total += n % 10
        n = n % 10
    return total
