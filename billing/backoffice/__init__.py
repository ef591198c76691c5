"""Billing's staff side (the back office): what only the secretariat uses.

The admin (tariff grids and their CSV import, family billings with the final
amount, the debit / SEPA / invoice exports, mandates), its forms, the exports and
the grid import. The family side of the app (views, the wizard's forms,
services, rules, tasks, models) never imports this package; this package
imports the family side freely.
"""
