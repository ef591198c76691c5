"""Requested documents and their uploads (see the documents issue)."""
