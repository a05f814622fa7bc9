"""Stores: one per table family, the only code that writes SQL. Every query names the practice."""
