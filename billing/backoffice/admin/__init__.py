"""The billing pages of the staff admin (``/gestion/``), one module per area.

Importing this package registers every model admin of the app; Django's admin
autodiscovery reaches it through ``billing/admin.py``.
"""

from . import collections, families, grids  # noqa: F401
