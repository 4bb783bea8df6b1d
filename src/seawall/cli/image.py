"""``seawall image`` and ``seawall rootfs``: scan container images and root filesystems."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the image commands to the application."""

    @app.command("image")
    def image(target: str = typer.Argument("", help="Image reference or prefixed source.")) -> None:
        """Scan a container image."""
        typer.echo(f"todo {target}")
