"""``seawall db``: update, inspect, export and import the vulnerability database."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from seawall.cli.opts import option as _opt
from seawall.cli.vulnopts import DBDirOpt, db_settings
from seawall.errors import UsageError

db_app = typer.Typer(help="Manage the vulnerability database.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the ``db`` command group to the application."""
    app.add_typer(db_app, name="db")


def _db_dir(ctx: typer.Context, db_dir: Path | None) -> Path:
    return db_settings(ctx.obj.cache_dir, db_dir).db_dir


@db_app.command("update")
def update_cmd(
    ctx: typer.Context,
    db_dir: DBDirOpt = None,
    source: Annotated[
        str, _opt("--source", help="Sources, comma-separated: osv,debian,alpine,nvd,kev,epss.")
    ] = "osv,debian,kev,epss",
    osv_url: Annotated[str, _opt("--osv-url", help="Base URL of the OSV ecosystem archives.")] = "",
    ecosystems: Annotated[str, _opt("--ecosystems", help="OSV ecosystems to fetch, comma-separated.")] = "",
    debian_url: Annotated[str, _opt("--debian-url", help="Debian security tracker JSON URL.")] = "",
    alpine_url: Annotated[str, _opt("--alpine-url", help="Alpine secdb base URL.")] = "",
    alpine_releases: Annotated[str, _opt("--alpine-releases", help="Alpine releases (v3.20,...).")] = "",
    nvd_url: Annotated[str, _opt("--nvd-url", help="Base URL of the NVD CVE JSON 2.0 year feeds.")] = "",
    nvd_years: Annotated[str, _opt("--nvd-years", help="NVD feed years to fetch (e.g. 2023,2024).")] = "",
    kev_url: Annotated[str, _opt("--kev-url", help="CISA KEV JSON URL.")] = "",
    epss_url: Annotated[str, _opt("--epss-url", help="FIRST EPSS CSV (.csv or .csv.gz) URL.")] = "",
    timeout: Annotated[float, _opt("--timeout", help="Network timeout in seconds.")] = 60.0,
) -> None:
    """Download the configured feeds and swap in the new database (conditional and resumable)."""
    from seawall.log import progress_enabled
    from seawall.vulndb.update import UpdateConfig, update

    def split(text: str) -> tuple[str, ...]:
        return tuple(s.strip() for s in text.split(",") if s.strip())

    kw: dict[str, Any] = {"sources": split(source), "timeout": timeout}
    for key, value in (("osv_url", osv_url), ("debian_url", debian_url), ("alpine_url", alpine_url),
                       ("nvd_url", nvd_url), ("kev_url", kev_url), ("epss_url", epss_url)):  # fmt: skip
        if value:
            kw[key] = value
    if ecosystems:
        kw["ecosystems"] = split(ecosystems)
    if alpine_releases:
        kw["alpine_releases"] = split(alpine_releases)
    if nvd_years:
        try:
            kw["nvd_years"] = tuple(int(y) for y in split(nvd_years))
        except ValueError as exc:
            raise UsageError(f"--nvd-years must be years, not {nvd_years!r}") from exc
    config = UpdateConfig(**kw)
    target = _db_dir(ctx, db_dir)
    if progress_enabled(ctx.obj.quiet):
        from rich.progress import DownloadColumn, Progress, TransferSpeedColumn

        from seawall.log import stderr_console

        with Progress(
            *Progress.get_default_columns(), DownloadColumn(), TransferSpeedColumn(), console=stderr_console()
        ) as bar:
            tasks: dict[str, Any] = {}

            def report(name: str, done: int, total: int | None) -> None:
                if name not in tasks:
                    tasks[name] = bar.add_task(name, total=total)
                bar.update(tasks[name], completed=done, total=total)

            outcome = update(target, config, progress=report)
    else:
        outcome = update(target, config)
    for name, what in outcome.items():
        typer.echo(f"{name}: {what}", err=True)


@db_app.command("status")
def status_cmd(
    ctx: typer.Context,
    db_dir: DBDirOpt = None,
    format: Annotated[str, _opt("--format", "-f", help="table or json.")] = "table",
) -> None:
    """Show the database's sources, record counts and age."""
    import orjson

    from seawall.vulndb import store
    from seawall.vulndb.update import age_seconds

    db = store.open_db(store.db_path(_db_dir(ctx, db_dir)))
    try:
        age = age_seconds(db)
        info = {
            "Path": str(db.path),
            "SchemaVersion": int(db.meta("schema_version") or 0),
            "UpdatedAt": db.meta("updated_at"),
            "AgeHours": round(age / 3600, 2) if age is not None else None,
            "Demo": db.is_demo,
            "Counts": db.counts(),
            "Ecosystems": db.ecosystems(),
            "Sources": [
                {
                    "Name": s.name,
                    "URL": s.url,
                    "FetchedAt": s.fetched_at,
                    "Records": s.records,
                    "ETag": s.etag,
                }
                for s in db.sources()
            ],
        }
    finally:
        db.close()
    if format == "json":
        sys.stdout.write(orjson.dumps(info, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    if format != "table":
        raise UsageError("--format must be table or json")
    lines = [f"Database: {info['Path']} (schema {info['SchemaVersion']})",
             f"Updated:  {info['UpdatedAt']} ({info['AgeHours']} h ago)"]  # fmt: skip
    counts = info["Counts"]
    assert isinstance(counts, dict)
    lines.append("Records:  " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    lines.append("Sources:")
    for s in info["Sources"]:  # type: ignore[attr-defined]
        lines.append(f"  {s['Name']:<28} {s['Records']:>8} records  fetched {s['FetchedAt']}  {s['URL']}")
    typer.echo("\n".join(lines))


@db_app.command("import")
def import_cmd(
    ctx: typer.Context,
    paths: Annotated[
        list[Path], typer.Argument(help="A bundle (.zip from db export), or OSV JSON/YAML files/dirs.")
    ],
    db_dir: DBDirOpt = None,
) -> None:
    """Import an offline bundle, or add local OSV advisories to the database."""
    from seawall.vulndb.bundle import import_bundle
    from seawall.vulndb.update import import_paths

    target = _db_dir(ctx, db_dir)
    if len(paths) == 1 and paths[0].is_file() and _is_bundle(paths[0]):
        meta = import_bundle(paths[0], target)
        typer.echo(f"imported bundle updated {meta.get('updated_at')} into {target}", err=True)
        return
    n = import_paths(target, paths)
    typer.echo(f"imported {n} advisories into {target}", err=True)


def _is_bundle(path: Path) -> bool:
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            return "metadata.json" in zf.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


@db_app.command("export")
def export_cmd(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Bundle file to write (.zip).")],
    db_dir: DBDirOpt = None,
) -> None:
    """Write the database as one offline bundle (with checksum and metadata) for air-gapped machines."""
    from seawall.vulndb.bundle import export_bundle

    meta = export_bundle(_db_dir(ctx, db_dir), file)
    typer.echo(
        f"exported {meta['counts']['advisories']} advisories to {file} (sha256 {meta['sha256']})", err=True
    )
