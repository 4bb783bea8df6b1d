"""Event sources: each yields events in the flat Falco-field shape of :mod:`seawall.runtime.events`."""
