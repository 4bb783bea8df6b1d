"""Kubernetes cluster audit: collection (live or snapshot), cluster-only analyses, images, CIS node
checks, admission webhook and install manifests."""
