"""The file formats the import page accepts: French CSV and XLSX, headers in lower case.

Decoding and separator sniffing are :mod:`conservatoire.spreadsheets`'s
(UTF-8 with or without BOM, else Windows-1252; ``;``, ``,`` or a tab).
"""

from __future__ import annotations

import tablib
from import_export.formats.base_formats import CSV, XLSX

from conservatoire.spreadsheets import read_csv

from .parsing import text


class FrenchCSV(CSV):
    """CSV as French spreadsheets write it: ``;`` or ``,``, UTF-8 (BOM) or Windows-1252."""

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def create_dataset(self, in_stream, **kwargs):
        dataset = tablib.Dataset()
        rows = read_csv(in_stream)
        if not rows:
            return dataset
        dataset.headers = [cell.strip().lower() for cell in rows[0]]
        for cells in rows[1:]:
            if len(cells) < dataset.width:
                cells += [""] * (dataset.width - len(cells))
            dataset.append(cells[: dataset.width])
        return dataset


class LowercaseXLSX(XLSX):
    def create_dataset(self, in_stream):
        dataset = super().create_dataset(in_stream)
        dataset.headers = [text(header).lower() for header in dataset.headers]
        return dataset


IMPORT_FORMATS = [FrenchCSV, LowercaseXLSX]


def load_dataset(data: bytes, filename: str) -> tablib.Dataset:
    fmt = LowercaseXLSX() if filename.lower().endswith(".xlsx") else FrenchCSV()
    return fmt.create_dataset(data)
