"""Shared infrastructure: settings, the database (embedded or external), the
event store wiring, logging and the command line. api/ and workers/ use it."""
