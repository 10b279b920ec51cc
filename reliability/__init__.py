"""Reliability measured as figures (issue 12, §6): break things on purpose and count what was lost.

    .venv/bin/python -m reliability            # the full run (`make reliability`, at most about 15 minutes)
    .venv/bin/python -m reliability --quick    # a few cycles of each, to try the suite out

Not part of `make test`: it kills processes and stops its own PostgreSQL for many seconds at a time.
"""
