"""The back office's admin pages (``/gestion/``), one module per area.

Importing this package registers every model admin of the app; Django's admin
autodiscovery reaches it through ``reinscription/admin.py``.
"""

from . import campaign, catalogue, drafts, jobs, reenrolments, students  # noqa: F401
