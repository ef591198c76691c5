"""The secretariat's back office: everything only the staff use (pretix's ``control``).

- ``admin/``: the ``/gestion/`` pages of the app, one module per area;
- ``dashboard``: the campaign's figures (who answered, what they asked, what waits);
- ``exports``: planning and "without answer" downloads (CSV, XLSX);
- ``imports/``: last year's data, read from the previous tool's CSV or XLSX;
- ``tasks``: recap ZIPs and reminders (Celery).

The family side of ``reinscription`` never imports this package; it imports the
family side (models, rules, labels, recap).
"""
