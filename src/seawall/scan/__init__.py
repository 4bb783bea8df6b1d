"""Scanners that turn an inventory into findings."""
