"""The one way Seawall builds HTTP clients (httpx): timeouts, TLS verification, user agent."""

from __future__ import annotations

import httpx

from seawall import __version__

USER_AGENT = f"seawall/{__version__}"
CONNECT_TIMEOUT = 15.0


def make_client(
    timeout: float = 60.0,
    verify: bool = True,
    transport: httpx.BaseTransport | None = None,
    base_url: str = "",
    follow_redirects: bool = True,
) -> httpx.Client:
    """An httpx client with Seawall's defaults; ``verify=False`` turns TLS verification off."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(timeout, CONNECT_TIMEOUT)),
        verify=verify,
        transport=transport,
        base_url=base_url,
        follow_redirects=follow_redirects,
        headers={"User-Agent": USER_AGENT},
    )
