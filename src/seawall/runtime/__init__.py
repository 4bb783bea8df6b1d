"""Runtime threat detection: Falco-compatible rules over host, container and Kubernetes audit events."""
