"""The documents pages of the staff admin (``/gestion/``), one module per area.

Importing this package registers every model admin of the app; Django's admin
autodiscovery reaches it through ``documents/admin.py``.
"""

from . import document_types, review  # noqa: F401
