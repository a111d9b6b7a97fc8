"""Helpers shared by tests across domains: the SMTP sink, polling."""
