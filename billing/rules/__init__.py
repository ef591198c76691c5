"""Billing rules: pure functions on plain values (``Decimal`` euros, dates). No ORM.

One module per job, imported by name (nothing is re-exported here):

- :mod:`billing.rules.brackets`: the family's line of the grid, sibling
  reductions, the Pass'Culture deduction and the family estimate;
- :mod:`billing.rules.schedule`: payment modes, proration of a late start, the
  instalments (one invoice, or nine debits) of a total, the next debit of what is
  left (``next_debit``, ``remaining_plan``);
- :mod:`billing.rules.ledger`: what a family's debits add up to (collected,
  scheduled, rejected, moved to a single payment, remaining);
- :mod:`billing.rules.sepa`: the PayFiP reference, IBAN/BIC clean-up and masking,
  the account holder's 70 characters, whether two IBANs are at the same bank.
"""
