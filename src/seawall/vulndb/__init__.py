"""The vulnerability database: advisory store, ingest adapters, updates, bundles and comparators."""
