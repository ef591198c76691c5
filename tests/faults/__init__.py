"""Fault tests (issue 8, item 4), against real services in the PostgreSQL + Redis pass.

Each test starts its own throwaway Redis, SMTP sink, Celery worker or PostgreSQL cluster
(tests/faults/services.py), so stopping or killing them never touches the machine's own.
"""
