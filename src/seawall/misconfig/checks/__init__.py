"""Built-in checks, one module per target kind; each registers its checks on import."""
