"""``seawall db update``: download feeds (conditional, resumable), ingest them, swap the database in.

Each feed is downloaded to ``<db-dir>/downloads/<name>.part`` with ``If-None-Match`` /
``If-Modified-Since`` from the last successful fetch; an interrupted download is resumed with a
``Range`` request guarded by ``If-Range``. Everything is ingested into a temporary copy of the database
(:func:`seawall.vulndb.store.building`), so a failure, a corrupt download or a SIGKILL leaves the
previous database untouched.
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

from seawall.vulndb import store
from seawall.vulndb.errors import SourceError, VulnDBError
from seawall.vulndb.ingest import alpine_secdb, debian_tracker, enrich, osv

log = logging.getLogger("seawall.vulndb")

DEFAULT_OSV_URL = "https://osv-vulnerabilities.storage.googleapis.com"
DEFAULT_DEBIAN_URL = "https://security-tracker.debian.org/tracker/data/json"
DEFAULT_KEV_URL = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
DEFAULT_EPSS_URL = "https://epss.cyentia.com/epss_scores-current.csv.gz"
DEFAULT_ALPINE_URL = "https://secdb.alpinelinux.org"
DEFAULT_NVD_URL = "https://nvd.nist.gov/feeds/json/cve/2.0"

# Every ecosystem the inventory analyzers produce.
DEFAULT_ECOSYSTEMS = (
    "PyPI", "npm", "Go", "Maven", "RubyGems", "crates.io", "NuGet", "Packagist", "Pub", "Hex",
    "Debian", "Ubuntu", "Alpine", "Rocky Linux", "AlmaLinux", "Wolfi", "Chainguard",
    "Red Hat", "SUSE", "openSUSE",
)  # fmt: skip
DEFAULT_SOURCES = ("osv", "debian", "kev", "epss")
ALL_SOURCES = ("osv", "debian", "alpine", "nvd", "kev", "epss")
MAX_DOWNLOAD_BYTES = 4 * 1024 * 1024 * 1024
MAX_JSON_BYTES = 1024 * 1024 * 1024
CHECKED_FILE = "last-check"  # when an update last found every feed current (no rebuild needed)


@dataclass(frozen=True, slots=True)
class Feed:
    """One file to download and the adapter that ingests it."""

    name: str  # the source name recorded in the database, e.g. ``osv:PyPI``
    url: str
    kind: str  # osv-zip, debian-tracker, alpine-secdb, nvd, kev, epss


@dataclass(frozen=True, slots=True)
class UpdateConfig:
    """Where feeds come from and which ones to fetch."""

    sources: tuple[str, ...] = DEFAULT_SOURCES
    osv_url: str = DEFAULT_OSV_URL
    ecosystems: tuple[str, ...] = DEFAULT_ECOSYSTEMS
    debian_url: str = DEFAULT_DEBIAN_URL
    alpine_url: str = DEFAULT_ALPINE_URL
    alpine_releases: tuple[str, ...] = ("v3.18", "v3.19", "v3.20", "v3.21", "v3.22")
    nvd_url: str = DEFAULT_NVD_URL
    nvd_years: tuple[int, ...] = ()
    kev_url: str = DEFAULT_KEV_URL
    epss_url: str = DEFAULT_EPSS_URL
    timeout: float = 60.0
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> UpdateConfig:
        """The configuration ``seawall db update`` would get from ``SEAWALL_*`` variables (auto-updates)."""
        env = os.environ

        def split(name: str) -> tuple[str, ...] | None:
            value = env.get(name, "")
            return tuple(s.strip() for s in value.split(",") if s.strip()) or None

        kw: dict[str, Any] = {}
        for key in ("osv_url", "debian_url", "alpine_url", "nvd_url", "kev_url", "epss_url"):
            value = env.get("SEAWALL_" + key.upper())
            if value:
                kw[key] = value
        for key, name in (("sources", "SEAWALL_SOURCE"), ("ecosystems", "SEAWALL_ECOSYSTEMS")):
            items = split(name)
            if items:
                kw[key] = items
        return cls(**kw)

    def feeds(self) -> list[Feed]:
        """The feeds the selected sources expand to."""
        unknown = set(self.sources) - set(ALL_SOURCES)
        if unknown:
            raise VulnDBError(
                f"unknown source(s) {', '.join(sorted(unknown))} (use {', '.join(ALL_SOURCES)})"
            )
        out: list[Feed] = []
        if "osv" in self.sources:
            base = self.osv_url.rstrip("/")
            out += [
                Feed(f"osv:{e}", f"{base}/{e.replace(' ', '%20')}/all.zip", "osv-zip")
                for e in self.ecosystems
            ]
        if "debian" in self.sources:
            out.append(Feed("debian-tracker", self.debian_url, "debian-tracker"))
        if "alpine" in self.sources:
            base = self.alpine_url.rstrip("/")
            for rel in self.alpine_releases:
                for repo in ("main", "community"):
                    out.append(Feed(f"alpine:{rel}/{repo}", f"{base}/{rel}/{repo}.json", "alpine-secdb"))
        if "nvd" in self.sources:
            base = self.nvd_url.rstrip("/")
            out += [Feed(f"nvd:{y}", f"{base}/nvdcve-2.0-{y}.json.gz", "nvd") for y in self.nvd_years]
        if "kev" in self.sources:
            out.append(Feed("kev", self.kev_url, "kev"))
        if "epss" in self.sources:
            out.append(Feed("epss", self.epss_url, "epss"))
        return out


Progress = Callable[[str, int, int | None], None]  # (feed name, bytes so far, total or None)


@dataclass(frozen=True, slots=True)
class Downloaded:
    """A completed download (or a not-modified answer)."""

    path: Path | None  # None when the server said 304 Not Modified
    etag: str = ""
    last_modified: str = ""


def _meta_path(part: Path) -> Path:
    return part.with_name(part.name + ".json")


def download(
    client: httpx.Client,
    feed: Feed,
    dest_dir: Path,
    prior: store.SourceState | None,
    progress: Progress | None,
) -> Downloaded:
    """Fetch one feed into ``dest_dir`` (conditional on ``prior``'s validators; resuming a partial file).

    A complete download left by an update that failed later is revalidated with its own ETag and reused
    on ``304``; a partial one is resumed with ``Range``/``If-Range``.
    """
    dest_dir.mkdir(parents=True, exist_ok=True)
    safe = feed.name.replace("/", "_").replace(":", "_").replace(" ", "_")
    part = dest_dir / f"{safe}.part"
    meta_file = _meta_path(part)
    saved: dict[str, Any] = {}
    if part.exists() and meta_file.exists():
        with contextlib.suppress(OSError, orjson.JSONDecodeError, AttributeError):
            loaded = orjson.loads(meta_file.read_bytes())
            if loaded.get("url") == feed.url and (loaded.get("etag") or loaded.get("last_modified")):
                saved = loaded
    if saved.get("complete"):
        got = _fetch(client, feed, part, meta_file, _validators(saved), 0, progress)
        return (
            got
            if got.path is not None
            else Downloaded(part, saved.get("etag", ""), saved.get("last_modified", ""))
        )
    headers = _validators(_state_dict(prior))
    offset = 0
    if saved:
        offset = part.stat().st_size
        headers["Range"] = f"bytes={offset}-"
        headers["If-Range"] = str(saved.get("etag") or saved.get("last_modified"))
    try:
        return _fetch(client, feed, part, meta_file, headers, offset, progress, prior)
    except _RangeRefused:
        part.unlink(missing_ok=True)
        meta_file.unlink(missing_ok=True)
        headers.pop("Range", None)
        headers.pop("If-Range", None)
        return _fetch(client, feed, part, meta_file, headers, 0, progress, prior)


class _RangeRefused(Exception):
    """The server answered 416 to a resume request: start again from zero."""


def _state_dict(state: store.SourceState | None) -> dict[str, Any]:
    return {"etag": state.etag, "last_modified": state.last_modified} if state else {}


def _validators(saved: dict[str, Any]) -> dict[str, str]:
    headers: dict[str, str] = {}
    if saved.get("etag"):
        headers["If-None-Match"] = str(saved["etag"])
    if saved.get("last_modified"):
        headers["If-Modified-Since"] = str(saved["last_modified"])
    return headers


def _fetch(
    client: httpx.Client,
    feed: Feed,
    part: Path,
    meta_file: Path,
    headers: dict[str, str],
    offset: int,
    progress: Progress | None,
    prior: store.SourceState | None = None,
) -> Downloaded:
    try:
        with client.stream("GET", feed.url, headers=headers) as resp:
            if resp.status_code == 304:
                return Downloaded(None, prior.etag if prior else "", prior.last_modified if prior else "")
            if resp.status_code == 416 and offset:
                raise _RangeRefused()
            if resp.status_code not in (200, 206):
                raise SourceError(f"{feed.name}: GET {feed.url} answered HTTP {resp.status_code}")
            etag = resp.headers.get("etag", "")
            last_modified = resp.headers.get("last-modified", "")
            total: int | None = None
            if resp.status_code == 206 and offset:
                total = _range_total(resp.headers.get("content-range", ""), feed)
                mode = "ab"
            else:
                offset, mode = 0, "wb"
                if resp.headers.get("content-length", "").isdigit():
                    total = int(resp.headers["content-length"])
            meta = {"url": feed.url, "etag": etag, "last_modified": last_modified}
            meta_file.write_bytes(orjson.dumps(meta))
            size = offset
            with part.open(mode) as fh:
                for chunk in resp.iter_bytes(1024 * 1024):
                    size += len(chunk)
                    if size > MAX_DOWNLOAD_BYTES:
                        raise SourceError(f"{feed.name}: download exceeds {MAX_DOWNLOAD_BYTES} bytes")
                    fh.write(chunk)
                    if progress:
                        progress(feed.name, size, total)
    except httpx.HTTPError as exc:
        raise SourceError(f"{feed.name}: download from {feed.url} failed: {exc}") from exc
    if total is not None and size != total:
        part.unlink(missing_ok=True)
        meta_file.unlink(missing_ok=True)
        raise SourceError(f"{feed.name}: download truncated ({size} of {total} bytes)")
    meta_file.write_bytes(orjson.dumps({**meta, "complete": True}))
    return Downloaded(part, etag, last_modified)


def _range_total(content_range: str, feed: Feed) -> int | None:
    # "bytes 100-199/200"
    _, _, total = content_range.partition("/")
    if total.isdigit():
        return int(total)
    if total == "*":
        return None
    raise SourceError(f"{feed.name}: malformed Content-Range {content_range!r}")


def _read_maybe_gzip(path: Path, name: str, limit: int = MAX_JSON_BYTES) -> bytes:
    with path.open("rb") as fh:
        magic = fh.read(2)
    try:
        if magic == b"\x1f\x8b":
            with gzip.open(path, "rb") as gz:
                data = gz.read(limit + 1)
        else:
            data = path.read_bytes()
    except (OSError, EOFError) as exc:
        raise SourceError(f"{name}: download is corrupt or truncated: {exc}") from exc
    if len(data) > limit:
        raise SourceError(f"{name}: more than {limit} bytes after decompression")
    return data


def _load_json(path: Path, name: str) -> Any:
    try:
        return orjson.loads(_read_maybe_gzip(path, name))
    except orjson.JSONDecodeError as exc:
        raise SourceError(f"{name}: download is not valid JSON (corrupt or truncated): {exc}") from exc


def ingest_feed(db: store.VulnDB, feed: Feed, path: Path) -> int:
    """Replace one source's content in a writable database with a downloaded file; returns the count."""
    db.clear_source(feed.name if feed.kind not in ("kev", "epss") else feed.kind)
    if feed.kind == "osv-zip":
        return db.put_advisories(osv.iter_zip(path, f"{feed.name}: {feed.url}"), feed.name)
    if feed.kind == "debian-tracker":
        data = _load_json(path, feed.name)
        if not isinstance(data, dict):
            raise SourceError(f"{feed.name}: not the Debian security tracker JSON (want an object)")
        return db.put_advisories(debian_tracker.convert(data), feed.name)
    if feed.kind == "alpine-secdb":
        return db.put_advisories(alpine_secdb.convert(_load_json(path, feed.name)), feed.name)
    if feed.kind == "kev":
        return db.put_rows("kev", enrich.kev_rows(_load_json(path, feed.name)))
    if feed.kind == "epss":
        try:
            text = _read_maybe_gzip(path, feed.name).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SourceError(f"{feed.name}: not a text CSV: {exc}") from exc
        return db.put_rows("epss", enrich.epss_rows(text))
    if feed.kind == "nvd":
        return db.put_rows("nvd", enrich.nvd_rows(_load_json(path, feed.name)))
    raise VulnDBError(f"unknown feed kind {feed.kind}")


def update(
    db_dir: Path,
    config: UpdateConfig,
    progress: Progress | None = None,
    client: httpx.Client | None = None,
) -> dict[str, str]:
    """Fetch and ingest every configured feed; returns feed name -> "updated N" / "not modified".

    Every feed is downloaded (or found unchanged) before the database is touched; when nothing changed
    the live file is left as it is and only the check time is recorded.
    """
    feeds = config.feeds()
    outcome: dict[str, str] = {}
    own_client = client is None
    http = client or httpx.Client(
        timeout=config.timeout, follow_redirects=True, headers={"User-Agent": "seawall", **config.headers}
    )
    downloads = db_dir / "downloads"
    live = store.db_path(db_dir)
    priors: dict[str, store.SourceState] = {}
    if live.is_file():
        with contextlib.suppress(VulnDBError):
            current = store.open_db(live)
            priors = {s.name: s for s in current.sources()}
            current.close()
    fetched: list[tuple[Feed, str, Downloaded]] = []
    try:
        for feed in feeds:
            state_name = feed.kind if feed.kind in ("kev", "epss") else feed.name
            got = download(http, feed, downloads, priors.get(state_name), progress)
            if got.path is None:
                outcome[feed.name] = "not modified"
            else:
                fetched.append((feed, state_name, got))
    finally:
        if own_client:
            http.close()
    if fetched or not live.is_file():
        with store.building(db_dir) as db:
            for feed, state_name, got in fetched:
                assert got.path is not None
                n = ingest_feed(db, feed, got.path)
                db.set_source(
                    store.SourceState(state_name, feed.url, got.etag, got.last_modified, store.utcnow(), n)
                )
                outcome[feed.name] = f"updated {n}"
                db.commit()
            db.set_meta("demo", "0")
        # Only now: until the swap, a re-run must be able to reuse (or resume) these files.
        for p in downloads.glob("*.part*"):
            with contextlib.suppress(OSError):
                p.unlink()
    (db_dir / CHECKED_FILE).write_text(store.utcnow() + "\n")
    return outcome


def import_paths(db_dir: Path, paths: Iterable[Path], source: str = "local") -> int:
    """``seawall db import`` of OSV JSON/YAML files, directories or zips into the database (atomically)."""
    n = 0
    with store.building(db_dir) as db:
        for p in paths:
            if not p.exists():
                raise VulnDBError(f"{p} does not exist")
            added = db.put_advisories(osv.iter_path(p), f"{source}:{p.name}")
            if not added:
                # Nothing is written: an import that finds nothing is almost always the wrong file.
                raise VulnDBError(f"{p} holds no valid OSV advisory (JSON, YAML or a zip of them)")
            n += added
        db.set_source(store.SourceState(source, "", "", "", store.utcnow(), n))
    return n


def age_seconds(db: store.VulnDB) -> float | None:
    """Seconds since the database was last updated or found current (None when unknown)."""
    import datetime as dt

    times = [db.meta("updated_at")]
    with contextlib.suppress(OSError):
        times.append((db.path.parent / CHECKED_FILE).read_text().strip())
    ages = []
    for text in times:
        with contextlib.suppress(ValueError):
            when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            ages.append((dt.datetime.now(dt.UTC) - when).total_seconds())
    return min(ages) if ages else None
