"""Running the service for real (issue 17): start-up checks, health and readiness, metrics,
logs a machine reads, backups, the worker's heartbeat. A use-case package: it reads the
domains' tables for figures and never changes them."""
