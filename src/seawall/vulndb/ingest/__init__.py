"""Source adapters: each converts one feed into OSV-shaped records or enrichment rows."""
