"""The write side: the Household aggregate, its events and rules, and the
application service with one method per command. No HTTP, no SQL."""
