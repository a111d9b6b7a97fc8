"""Piccolo migrations, the only way the schema changes (`piccolo migrations new events_service --auto`).

A package so the wheel ships them. Piccolo does not import them through it: it puts this folder
on sys.path and imports each file by its bare name, skipping this ``__init__.py``.
"""
