"""Registry access monitoring: notifications and audit log in, per-account baselines, alerts out."""
