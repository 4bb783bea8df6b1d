"""Docker Registry v2 token authentication server with role-based access and an audit log."""
