"""Layer analysis: the streaming walker, the per-layer cache, the merge, and the analyzers."""
