"""Load benchmarks for one Quietline server process on SQLite (see benchmarks/README.md)."""
