"""What the billing models share."""

MONEY = {"max_digits": 9, "decimal_places": 2}
