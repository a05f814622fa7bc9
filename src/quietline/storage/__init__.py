"""Persistence: tables, the database runner and the stores (the only place with SQL)."""
