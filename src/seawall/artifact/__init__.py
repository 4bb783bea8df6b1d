"""Getting an artifact's bytes: archives, OCI layouts, registries, daemons and root filesystems."""
