"""Pull an image from an OCI Distribution (Docker Registry v2) API into the local blob cache.

Only the config and layer blobs are stored (``opts.blob_dir/<hex>``), each verified against its
sha256 digest while streaming; a blob already in the cache is reused without a request.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import json
import logging
import os
import random
import re
import ssl
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from seawall.analyze.streams import BlobRef
from seawall.analyze.walker import LayerSource
from seawall.artifact.base import Image, ImageLayer, config_diff_ids, history_created_by
from seawall.artifact.credentials import Credentials, find_credentials
from seawall.artifact.httpclient import make_client
from seawall.artifact.options import SourceOptions
from seawall.artifact.platform import match_platform, parse_platform, platform_label
from seawall.artifact.reference import Reference, parse_reference
from seawall.errors import ArtifactError, DigestMismatchError, LimitExceededError, RegistryError

log = logging.getLogger(__name__)

# Media types.
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_SCHEMA1 = (
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
)
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)
MANIFEST_TYPES = (OCI_MANIFEST, DOCKER_MANIFEST)
CONFIG_TYPES = ("application/vnd.oci.image.config.v1+json", "application/vnd.docker.container.image.v1+json")
LAYER_TYPES = (
    "application/vnd.oci.image.layer.v1.tar",
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd",
    "application/vnd.oci.image.layer.nondistributable.v1.tar",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
    "application/vnd.docker.image.rootfs.diff.tar",
    "application/vnd.docker.image.rootfs.diff.tar.gzip",
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
)
ACCEPT = ", ".join((OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST))

# Limits: a manifest is a few KiB; configs with long histories reach a few hundred KiB.
MAX_MANIFEST_SIZE = 4 << 20
MAX_CONFIG_SIZE = 16 << 20
MAX_TOKEN_RESPONSE = 1 << 20
MAX_ERROR_BODY = 64 << 10
MAX_INDEX_DEPTH = 2
MAX_LAYERS = 1000  # Docker stops at 127; overlayfs at about 500
DOWNLOAD_THREADS = 4
REHASH_LIMIT = MAX_CONFIG_SIZE  # cached blobs up to this size are re-verified before reuse
CHUNK = 1 << 20

# Retries: exponential backoff from BACKOFF_BASE seconds, Retry-After honoured up to MAX_RETRY_AFTER.
BACKOFF_BASE = 0.5
BACKOFF_MAX = 30.0
MAX_RETRY_AFTER = 60.0

_SHA256 = re.compile(r"sha256:[0-9a-f]{64}")
_CHALLENGE_PARAM = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


@dataclass(frozen=True, slots=True)
class Descriptor:
    """A content descriptor from a manifest (media type, sha256 digest, size)."""

    media_type: str
    digest: str
    size: int
    platform: str = ""

    @property
    def hex(self) -> str:
        return self.digest.split(":", 1)[1]


@dataclass(frozen=True, slots=True)
class Challenge:
    """A parsed ``WWW-Authenticate`` header."""

    scheme: str  # "basic" or "bearer"
    params: Mapping[str, str]


def open_registry_image(ref: str, opts: SourceOptions) -> Image:
    """Pull ``ref`` (``HOST[:PORT]/REPO[:TAG|@DIGEST]``) into the blob cache and describe it as an Image."""
    reference = parse_reference(ref)
    with RegistryClient(reference, opts) as client:
        return client.pull(name=ref)


def parse_challenge(header: str) -> Challenge | None:
    """Parse ``Bearer realm="...",service="...",scope="..."`` or ``Basic realm="..."``."""
    scheme, _, rest = header.strip().partition(" ")
    if not scheme:
        return None
    params = {m.group(1).lower(): (m.group(2) or m.group(3) or "") for m in _CHALLENGE_PARAM.finditer(rest)}
    return Challenge(scheme.lower(), params)


class RegistryClient:
    """A Distribution API client for one repository: auth, retries, manifests and blobs."""

    def __init__(self, reference: Reference, opts: SourceOptions) -> None:
        self.ref = reference
        self.opts = opts
        self.host = reference.api_host
        self._http = make_client(timeout=opts.timeout, verify=not opts.insecure)
        self._base = ""
        self._lock = threading.RLock()
        self._auth_header = f"Bearer {opts.registry_token}" if opts.registry_token else ""
        self._creds: Credentials | None = find_credentials(reference.registry, opts.username, opts.password)
        self._abort = threading.Event()
        self._from_index = False

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    # -- the pull ------------------------------------------------------------------------------

    def pull(self, name: str) -> Image:
        """Resolve the manifest for the configured platform, download config and layers, build the Image."""
        top_digest, manifest = self.resolve_manifest()
        config_desc = _descriptor(manifest.get("config"), "config")
        if config_desc.media_type not in CONFIG_TYPES:
            raise RegistryError(
                f"{self.ref}: config media type {config_desc.media_type!r} is not a container image "
                "(an OCI artifact?)"
            )
        if config_desc.size > MAX_CONFIG_SIZE:
            raise LimitExceededError(f"{self.ref}: image config is larger than {MAX_CONFIG_SIZE} bytes")
        raw_layers = manifest.get("layers")
        if not isinstance(raw_layers, list):
            raise RegistryError(f"{self.ref}: manifest has no layers list")
        if len(raw_layers) > MAX_LAYERS:
            raise LimitExceededError(f"{self.ref}: manifest lists more than {MAX_LAYERS} layers")
        layer_descs = [_descriptor(d, "layer") for d in raw_layers]
        for desc in layer_descs:
            if desc.media_type not in LAYER_TYPES:
                raise RegistryError(f"{self.ref}: unsupported layer media type {desc.media_type!r}")
        with _progress(self.opts.progress) as progress:
            config_path = self.fetch_blob(config_desc, progress)
            try:
                config = json.loads(config_path.read_bytes())
            except (ValueError, RecursionError) as exc:
                raise ArtifactError(f"{self.ref}: image config is not valid JSON: {exc}") from exc
            if not isinstance(config, dict):
                raise ArtifactError(f"{self.ref}: image config is not a JSON object")
            diff_ids = config_diff_ids(config)
            if not self._from_index:
                self._check_platform(config)
            if len(diff_ids) != len(layer_descs):
                raise ArtifactError(
                    f"{self.ref}: manifest lists {len(layer_descs)} layers but the config has "
                    f"{len(diff_ids)} diff_ids"
                )
            paths = self._fetch_all(layer_descs, progress)
        created_by = history_created_by(config, len(layer_descs))
        layers = tuple(
            ImageLayer(
                diff_id=diff_id,
                digest=desc.digest,
                media_type=desc.media_type,
                source=LayerSource(
                    blob=BlobRef(path, 0, desc.size),
                    diff_id=diff_id,
                    digest=desc.digest,
                    label=f"{self.ref.familiar_name} layer {i + 1} ({desc.digest[:19]})",
                ),
                created_by=created,
            )
            for i, (desc, path, diff_id, created) in enumerate(
                zip(layer_descs, paths, diff_ids, created_by, strict=True)
            )
        )
        return Image(
            name=name,
            config_digest=config_desc.digest,
            config=config,
            layers=layers,
            repo_tags=(f"{self.ref.familiar_name}:{self.ref.tag}",) if self.ref.tag else (),
            repo_digests=(f"{self.ref.familiar_name}@{top_digest}",),
            manifest=manifest,
        )

    def _fetch_all(self, descs: list[Descriptor], progress: _Progress | None) -> list[Path]:
        """Download layers in parallel; the first failure stops the others and is raised."""
        unique = list({d.digest: d for d in descs}.values())  # an image may repeat a layer
        if len(unique) < len(descs):
            paths = dict(zip((d.digest for d in unique), self._fetch_all(unique, progress), strict=True))
            return [paths[d.digest] for d in descs]
        if len(descs) <= 1:
            return [self.fetch_blob(d, progress) for d in descs]
        with ThreadPoolExecutor(max_workers=min(DOWNLOAD_THREADS, len(descs))) as pool:
            futures: list[Future[Path]] = [pool.submit(self.fetch_blob, d, progress) for d in descs]
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            failed = [f for f in done if f.exception() is not None]
            if failed:
                self._abort.set()
                for f in futures:
                    f.cancel()
                wait(futures)
                error = failed[0].exception()
                assert error is not None
                raise error
            return [f.result() for f in futures]

    # -- manifests -----------------------------------------------------------------------------

    def resolve_manifest(self) -> tuple[str, dict[str, Any]]:
        """The digest the reference points at, and the image manifest for ``opts.platform``."""
        body, media_type, digest = self.fetch_manifest(self.ref.reference)
        top_digest = digest
        doc = _parse_manifest(body, media_type, str(self.ref))
        for _ in range(MAX_INDEX_DEPTH + 1):
            kind = _manifest_kind(doc, media_type)
            if kind == "manifest":
                return top_digest, doc
            if kind == "schema1":
                raise RegistryError(
                    f"{self.ref}: Docker schema 1 manifests are not supported (deprecated since 2017; "
                    "re-push the image with a current client)"
                )
            if kind != "index":
                raise RegistryError(f"{self.ref}: unsupported manifest media type {media_type or '(none)'!r}")
            child = self._pick_platform(doc)
            self._from_index = True
            body, media_type, digest = self.fetch_manifest(child.digest)
            if child.size and len(body) != child.size:
                raise DigestMismatchError(f"{self.ref}: manifest {child.digest} has the wrong size")
            doc = _parse_manifest(body, media_type, f"{self.ref} ({child.platform})")
            media_type = media_type or child.media_type
        raise RegistryError(f"{self.ref}: image indexes nested more than {MAX_INDEX_DEPTH} deep")

    def _check_platform(self, config: Mapping[str, Any]) -> None:
        """A single-platform image is used as it is; say so when it is not the platform asked for."""
        want_os, want_arch, _ = parse_platform(self.opts.platform)
        os_, arch = str(config.get("os", "")), str(config.get("architecture", ""))
        if (os_, arch) != (want_os, want_arch) and os_ and arch:
            log.warning(
                "%s is a single-platform image for %s/%s, not %s; scanning it anyway",
                self.ref,
                os_,
                arch,
                self.opts.platform,
            )

    def _pick_platform(self, index: Mapping[str, Any]) -> Descriptor:
        entries = index.get("manifests")
        if not isinstance(entries, list):
            raise RegistryError(f"{self.ref}: image index has no manifests list")
        matches, available = match_platform(entries, self.opts.platform)
        if not matches:
            raise RegistryError(
                f"{self.ref}: no image for platform {self.opts.platform} (available: "
                f"{', '.join(available) or 'none'}); choose one with --platform"
            )
        return _descriptor(matches[0], "manifest", platform=platform_label(matches[0]))

    def fetch_manifest(self, reference: str) -> tuple[bytes, str, str]:
        """GET a manifest by tag or digest: (bytes, media type, sha256 digest), size-limited and verified."""
        path = f"/v2/{self.ref.repository}/manifests/{reference}"
        with self._request("GET", path, {"Accept": ACCEPT}) as resp:
            if resp.status_code == 404:
                raise RegistryError(
                    f"manifest {self.ref.repository}:{reference} not found on {self.host}"
                    f"{_error_detail(resp)} (HTTP 404)"
                )
            _check_status(resp, f"manifest {self.ref.repository}:{reference}")
            declared = _content_length(resp)
            if declared > MAX_MANIFEST_SIZE:
                raise LimitExceededError(f"{self.ref}: manifest is larger than {MAX_MANIFEST_SIZE} bytes")
            body = _read_limited(resp, MAX_MANIFEST_SIZE, f"{self.ref}: manifest")
            media_type = resp.headers.get("content-type", "").split(";")[0].strip()
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        if reference.startswith("sha256:") and digest != reference:
            raise DigestMismatchError(f"manifest {reference} from {self.host} hashes to {digest}")
        return body, media_type, digest

    # -- blobs ---------------------------------------------------------------------------------

    def fetch_blob(self, desc: Descriptor, progress: _Progress | None = None) -> Path:
        """The verified blob in ``opts.blob_dir`` (downloaded unless a verified copy is already there)."""
        final = self.opts.blob_dir / desc.hex
        if self._cached(desc, final):
            log.debug("blob %s: cached", desc.digest)
            return final
        self.opts.blob_dir.mkdir(parents=True, exist_ok=True)
        attempt = 0
        while True:
            try:
                return self._download(desc, final, progress)
            except (httpx.TransportError, _IncompleteBlob) as exc:
                if attempt >= self.opts.retries or self._abort.is_set():
                    raise RegistryError(
                        f"downloading {desc.digest} from {self.host} failed after {attempt + 1} "
                        f"attempts: {exc}"
                    ) from exc
                delay = _backoff(attempt)
                log.warning("blob %s: %s; retrying in %.1fs", desc.digest[:19], exc, delay)
                time.sleep(delay)
                attempt += 1

    def _cached(self, desc: Descriptor, final: Path) -> bool:
        """A cached blob of the right size is reused; small ones (configs) are re-hashed as well.

        Large layers are not re-hashed here because the layer walker verifies both digests on
        every read anyway.
        """
        try:
            if final.stat().st_size != desc.size:
                return False
            if desc.size <= REHASH_LIMIT:
                return "sha256:" + hashlib.sha256(final.read_bytes()).hexdigest() == desc.digest
        except OSError:
            return False
        return True

    def _download(self, desc: Descriptor, final: Path, progress: _Progress | None) -> Path:
        path = f"/v2/{self.ref.repository}/blobs/{desc.digest}"
        fd, tmp_name = tempfile.mkstemp(prefix="blob-", suffix=".part", dir=self.opts.tmp_dir)
        tmp = Path(tmp_name)
        task = progress.add(desc) if progress is not None else None
        try:
            hasher = hashlib.sha256()
            received = 0
            with os.fdopen(fd, "wb") as out, self._request("GET", path, {}) as resp:
                if resp.status_code == 404:
                    raise RegistryError(
                        f"blob {desc.digest} not found in {self.ref.repository} on {self.host}"
                    )
                _check_status(resp, f"blob {desc.digest}")
                for chunk in resp.iter_bytes(CHUNK):
                    if self._abort.is_set():
                        raise RegistryError(f"download of {desc.digest} cancelled")
                    received += len(chunk)
                    if received > desc.size:
                        raise DigestMismatchError(
                            f"blob {desc.digest} from {self.host} is larger than its declared "
                            f"{desc.size} bytes"
                        )
                    hasher.update(chunk)
                    out.write(chunk)
                    if progress is not None and task is not None:
                        progress.advance(task, len(chunk))
            if received < desc.size:
                raise _IncompleteBlob(f"connection closed after {received} of {desc.size} bytes")
            actual = "sha256:" + hasher.hexdigest()
            if actual != desc.digest:
                raise DigestMismatchError(f"blob {desc.digest} from {self.host} hashes to {actual}")
            os.replace(tmp, final)
            return final
        except OSError as exc:
            raise ArtifactError(f"cannot write blob {desc.digest} to {self.opts.cache_dir}: {exc}") from exc
        finally:
            tmp.unlink(missing_ok=True)
            if progress is not None and task is not None:
                progress.done(task)

    # -- HTTP: scheme, auth, retries -----------------------------------------------------------

    @contextmanager
    def _request(self, method: str, path: str, headers: Mapping[str, str]) -> Iterator[httpx.Response]:
        """Send with auth and retries; yields a streaming response (closed on exit)."""
        base = self._ensure_base()
        resp = self._send(method, base + path, headers)
        try:
            yield resp
        finally:
            resp.close()

    def _ensure_base(self) -> str:
        """Pick https (or, with --insecure, http when https fails) by pinging ``/v2/`` once."""
        with self._lock:
            if self._base:
                return self._base
            schemes = ["https", "http"] if self.opts.insecure else ["https"]
            last: Exception | None = None
            for scheme in schemes:
                base = f"{scheme}://{self.host}"
                try:
                    if scheme == "https" and self.opts.insecure:
                        # One quick try: a plain-HTTP registry fails the handshake at once.
                        resp = self._http.send(self._http.build_request("GET", base + "/v2/"), stream=True)
                    else:
                        resp = self._send("GET", base + "/v2/", {}, authenticate=False)
                except (httpx.TransportError, RegistryError) as exc:
                    last = exc
                    log.debug("%s: %s", base, exc)
                    continue
                challenge = None
                if resp.status_code == 401:
                    challenge = parse_challenge(resp.headers.get("www-authenticate", ""))
                resp.close()
                self._base = base
                break
            else:
                if isinstance(last, RegistryError):
                    raise last
                raise RegistryError(f"cannot reach registry {self.host}: {_short(last)}")
            if challenge is not None and not self.opts.registry_token:
                # Authenticate up front so parallel blob requests do not each meet a 401.
                self._authenticate(challenge, self._auth_header)
            return base

    def _send(
        self, method: str, url: str, headers: Mapping[str, str], authenticate: bool = True
    ) -> httpx.Response:
        attempt = 0
        auth_attempts = 0
        while True:
            request_headers = dict(headers)
            sent_auth = self._auth_header
            if sent_auth:
                request_headers["Authorization"] = sent_auth
            try:
                request = self._http.build_request(method, url, headers=request_headers)
                resp = self._http.send(request, stream=True)
            except httpx.TransportError as exc:
                if _is_tls_error(exc) and not self.opts.insecure:
                    raise RegistryError(
                        f"TLS handshake with {self.host} failed: {_short(exc)} "
                        "(use --insecure for a plain-HTTP or self-signed registry)"
                    ) from exc
                if attempt >= self.opts.retries:
                    raise RegistryError(
                        f"cannot reach {self.host} after {attempt + 1} attempts: {_short(exc)}"
                    ) from exc
                delay = _backoff(attempt)
                log.warning("%s: %s; retrying in %.1fs", self.host, _short(exc), delay)
                time.sleep(delay)
                attempt += 1
                continue
            status = resp.status_code
            if status == 401 and not authenticate:
                return resp
            if status == 401 and auth_attempts < 2:
                challenge = parse_challenge(resp.headers.get("www-authenticate", ""))
                resp.close()
                self._authenticate(challenge, sent_auth)
                auth_attempts += 1
                continue
            if status == 401:
                resp.close()
                raise RegistryError(
                    f"{self.host}: authentication failed (HTTP 401) for {self.ref.repository}"
                )
            if status == 429 or status >= 500:
                if attempt >= self.opts.retries:
                    detail = _error_detail(resp)
                    resp.close()
                    raise RegistryError(
                        f"{self.host} answered HTTP {status}{detail} to {method} {httpx.URL(url).path} "
                        f"{attempt + 1} times; giving up"
                    )
                hinted = _retry_after(resp) if status in (429, 503) else None
                delay = _backoff(attempt) if hinted is None else hinted
                resp.close()
                log.warning("%s: HTTP %d; retrying in %.1fs", self.host, status, delay)
                time.sleep(delay)
                attempt += 1
                continue
            return resp

    def _authenticate(self, challenge: Challenge | None, sent: str) -> None:
        """Answer a 401: basic credentials, or a bearer token from the challenge's realm."""
        with self._lock:
            if self._auth_header != sent:  # another thread already refreshed it
                return
            if challenge is None or challenge.scheme not in ("basic", "bearer"):
                raise RegistryError(f"{self.host}: authentication required with an unsupported scheme")
            if challenge.scheme == "basic":
                if self._creds is None:
                    raise RegistryError(
                        f"{self.host}: authentication required (use --username/--password or docker login)"
                    )
                if sent.startswith("Basic "):
                    raise RegistryError(f"{self.host}: authentication failed: wrong username or password")
                pair = f"{self._creds.username}:{self._creds.password}".encode()
                self._auth_header = "Basic " + base64.b64encode(pair).decode("ascii")
                return
            if self.opts.registry_token:
                raise RegistryError(f"{self.host}: the registry token was refused")
            self._auth_header = "Bearer " + self._fetch_token(challenge)

    def _fetch_token(self, challenge: Challenge) -> str:
        realm = challenge.params.get("realm", "")
        url = httpx.URL(realm) if realm else None
        if url is None or url.scheme not in ("http", "https") or not url.host:
            raise RegistryError(f"{self.host}: bearer challenge without a usable realm ({realm!r})")
        scope = challenge.params.get("scope") or f"repository:{self.ref.repository}:pull"
        params = {"scope": scope}
        if challenge.params.get("service"):
            params["service"] = challenge.params["service"]
        auth = (self._creds.username, self._creds.password) if self._creds else None
        attempt = 0
        while True:
            try:
                request = self._http.build_request("GET", url, params=params)
                resp = self._http.send(request, auth=auth, stream=True)
            except httpx.TransportError as exc:
                if attempt >= self.opts.retries:
                    raise RegistryError(f"token server {url.host}: {_short(exc)}") from exc
                time.sleep(_backoff(attempt))
                attempt += 1
                continue
            if (resp.status_code == 429 or resp.status_code >= 500) and attempt < self.opts.retries:
                hinted = _retry_after(resp)
                resp.close()
                time.sleep(_backoff(attempt) if hinted is None else hinted)
                attempt += 1
                continue
            break
        try:
            status = resp.status_code
            if status in (401, 403):
                who = "wrong username or password" if self._creds else "anonymous access refused"
                raise RegistryError(
                    f"{self.host}: authentication failed: {who} (token server answered HTTP {status})"
                )
            if status != 200:
                raise RegistryError(f"{self.host}: token server {url.host} answered HTTP {status}")
            body = _read_limited(resp, MAX_TOKEN_RESPONSE, f"{self.host}: token response")
        except httpx.TransportError as exc:
            raise RegistryError(f"token server {url.host}: {_short(exc)}") from exc
        finally:
            resp.close()
        try:
            data = json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise RegistryError(f"{self.host}: token server {url.host} did not answer JSON") from exc
        token = (data.get("token") or data.get("access_token")) if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise RegistryError(f"{self.host}: token server {url.host} answered without a token")
        return token


class _IncompleteBlob(Exception):
    """The connection closed early (retryable)."""


class _Progress:
    """Rich progress bars, one per blob, on stderr (thread-safe)."""

    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TransferSpeedColumn,
        )

        from seawall.log import stderr_console

        self._bars = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=stderr_console(),
            transient=True,
        )

    def __enter__(self) -> _Progress:
        self._bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bars.stop()

    def add(self, desc: Descriptor) -> Any:
        return self._bars.add_task(desc.digest[7:19], total=desc.size)

    def advance(self, task: Any, n: int) -> None:
        self._bars.advance(task, n)

    def done(self, task: Any) -> None:
        self._bars.remove_task(task)


@contextmanager
def _progress(enabled: bool) -> Iterator[_Progress | None]:
    if not enabled:
        yield None
        return
    with _Progress() as bars:
        yield bars


def _descriptor(raw: Any, what: str, platform: str = "") -> Descriptor:
    if not isinstance(raw, dict):
        raise RegistryError(f"manifest {what} descriptor is not an object")
    digest, size, media_type = raw.get("digest"), raw.get("size"), raw.get("mediaType", "")
    if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
        # Only sha256 is used in practice; the check also keeps the digest safe as a file name.
        raise RegistryError(f"manifest {what} descriptor has an unsupported or invalid digest {digest!r}")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise RegistryError(f"manifest {what} descriptor {digest} has an invalid size {size!r}")
    return Descriptor(str(media_type), digest, size, platform)


def _parse_manifest(body: bytes, media_type: str, what: str) -> dict[str, Any]:
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError) as exc:
        kind = f" (served as {media_type})" if media_type else ""
        raise RegistryError(f"{what}: manifest is not valid JSON{kind}: {_short(exc)}") from exc
    if not isinstance(doc, dict):
        raise RegistryError(f"{what}: manifest is not a JSON object")
    return doc


def _manifest_kind(doc: Mapping[str, Any], media_type: str) -> str:
    """index, manifest, schema1 or unknown: the document's own mediaType first, then the header's."""
    declared = doc.get("mediaType")
    declared = declared if isinstance(declared, str) else ""
    if doc.get("schemaVersion") == 1 or declared in DOCKER_SCHEMA1 or media_type in DOCKER_SCHEMA1:
        return "schema1"
    mt = declared or media_type
    if mt in INDEX_TYPES:
        return "index"
    if mt in MANIFEST_TYPES:
        return "manifest"
    if not declared and mt not in (*INDEX_TYPES, *MANIFEST_TYPES):
        # Some registries serve application/json or text/plain; OCI allows mediaType to be absent.
        if isinstance(doc.get("manifests"), list):
            return "index"
        if isinstance(doc.get("config"), dict) and isinstance(doc.get("layers"), list):
            return "manifest"
    return "unknown"


def _check_status(resp: httpx.Response, what: str) -> None:
    if resp.status_code == 200:
        return
    if resp.status_code == 403:
        raise RegistryError(f"{what}: access denied (HTTP 403){_error_detail(resp)}")
    raise RegistryError(f"{what}: registry answered HTTP {resp.status_code}{_error_detail(resp)}")


def _error_detail(resp: httpx.Response) -> str:
    """The first error of a registry's JSON error body, as ``: CODE message``; empty if none."""
    try:
        body = _read_limited(resp, MAX_ERROR_BODY, "error body")
        errors = json.loads(body).get("errors")
        first = errors[0]
        return f": {first.get('code', '')} {first.get('message', '')}".rstrip()[:200]
    except Exception:
        return ""


def _read_limited(resp: httpx.Response, limit: int, what: str) -> bytes:
    buf = bytearray()
    for chunk in resp.iter_bytes(CHUNK):
        buf += chunk
        if len(buf) > limit:
            raise LimitExceededError(f"{what} is larger than {limit} bytes")
    return bytes(buf)


def _content_length(resp: httpx.Response) -> int:
    try:
        return int(resp.headers.get("content-length", "0"))
    except ValueError:
        return 0


def _backoff(attempt: int) -> float:
    base: float = min(BACKOFF_MAX, BACKOFF_BASE * (2**attempt))
    return base * (0.8 + 0.4 * random.random())  # jitter: clients retrying together spread out


def _retry_after(resp: httpx.Response) -> float | None:
    value = resp.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, min(when.timestamp() - time.time(), MAX_RETRY_AFTER))


def _is_tls_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(6):
        if seen is None:
            break
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    text = str(exc)
    return "SSL" in text or "CERTIFICATE" in text.upper()


def _short(exc: BaseException | None) -> str:
    text = str(exc) if exc is not None else "unknown error"
    return (text.splitlines() or [type(exc).__name__])[0][:300]
