"""Import last year's data (families, responsibles, students, their courses) from CSV or XLSX.

- ``parsing``: the file's columns, each cell read and checked (:func:`parsing.parse_line`);
- ``formats``: the CSV and XLSX readers of the import page;
- ``resource``: django-import-export's resource (writes a checked line), the admin
  page's mixin and :func:`resource.run_import` for use outside the admin.
"""
