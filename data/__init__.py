"""Data layer: database, repository queries, ledger import, exports, demo data and geodata."""
