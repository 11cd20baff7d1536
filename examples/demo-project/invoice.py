def total(prices, discount):
    """The amount to invoice, in dollars."""
    return sum(prices) * (1 - discount)
