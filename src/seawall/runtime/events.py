"""The one event model: a flat mapping addressed by Falco field names.

An event is a plain ``dict`` (the cheapest thing Python can look a key up in) whose keys are Falco
field names: ``evt.type``, ``proc.name``, ``fd.name``, ``container.id`` ... Every source produces
this shape, so the rules engine never knows where an event came from.

Conventions for the few fields Falco addresses with an argument:

- ``proc.aname`` / ``proc.apid`` / ``proc.aexe`` / ``proc.aexepath``: lists of the ancestors'
  values, parent first (Falco's ``proc.aname[1]`` is ``event["proc.aname"][0]``).
- ``evt.arg.NAME``: one key per syscall argument (``evt.arg[NAME]`` reads the same key).
- ``proc.env``: the environment as ``{name: value}``.
- ``container.mount_list``: ``[(source, dest, mode, rdwr, propagation), ...]``.
- ``_ka``: for ``k8s_audit`` events, the decoded audit ``Event`` object; ``ka.*`` fields are
  computed from it on first use and memoised in the same dict.
"""

from __future__ import annotations

from typing import Any

Event = dict[str, Any]

SYSCALL = "syscall"
K8S_AUDIT = "k8s_audit"

SOURCE_KEY = "evt.source"
TYPE_KEY = "evt.type"
RAW_AUDIT_KEY = "_ka"


def source_of(event: Event) -> str:
    """The event source name (``syscall`` unless the event says otherwise)."""
    src = event.get(SOURCE_KEY)
    return src if isinstance(src, str) else SYSCALL
