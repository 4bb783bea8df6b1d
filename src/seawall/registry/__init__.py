"""Registry protection: token authentication server, registry probe, access monitoring."""
