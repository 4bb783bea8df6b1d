"""The analysis pipeline: layers (cached or analyzed in parallel) -> merge -> inventory."""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from seawall.analyze.analyzer import Analyzer, analyzer_key, default_analyzers
from seawall.analyze.cache import LayerCache
from seawall.analyze.dirwalk import analyze_directory
from seawall.analyze.merge import build_inventory, merge_layers
from seawall.analyze.streams import Limits
from seawall.analyze.walker import LayerSource, analyze_layer
from seawall.artifact.base import Image
from seawall.model import Inventory, LayerFacts, LayerRef

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AnalysisOptions:
    """How to analyze: limits, cache use, parallelism, which analyzers."""

    limits: Limits = field(default_factory=Limits)
    use_cache: bool = True
    workers: int = 0  # 0: one per core, at most one per layer to analyze
    analyzers: tuple[str, ...] | None = None  # None: every registered analyzer for the target kind
    scanners: tuple[str, ...] = ()  # chosen scanners: enables the secret and malware analyzers
    settings: tuple[tuple[str, str], ...] = ()  # scanner settings for the analyzers (e.g. secret-config)
    progress: bool = False


def _analyzers(target: str, options: AnalysisOptions) -> list[Analyzer]:
    return default_analyzers(target, options.analyzers, options.scanners, options.settings)


def _analyze_in_worker(
    source: LayerSource, target: str, names: tuple[str, ...], options: AnalysisOptions
) -> LayerFacts:
    analyzers = default_analyzers(target, names, options.scanners, options.settings)
    return analyze_layer(source, analyzers, options.limits)


def analyze_image_layers(image: Image, cache_dir: Path, options: AnalysisOptions) -> list[LayerFacts]:
    """Facts for every layer of ``image``, from the cache where possible."""
    analyzers = _analyzers("image", options)
    cache = LayerCache(cache_dir, analyzer_key(analyzers))
    found: dict[str, LayerFacts] = {}
    todo: list[LayerSource] = []
    for layer in image.layers:
        if layer.diff_id in found or any(s.diff_id == layer.diff_id for s in todo):
            continue
        hit = cache.get(layer.diff_id) if options.use_cache else None
        if hit is not None:
            found[layer.diff_id] = hit
        else:
            todo.append(layer.source)
    if todo:
        log.debug("analyzing %d of %d layers", len(todo), len(image.layers))
        for facts in _run(todo, analyzers, options):
            found[facts.diff_id] = facts
            cache.put(facts)
    return [found[layer.diff_id] for layer in image.layers]


def _run(
    todo: Sequence[LayerSource], analyzers: list[Analyzer], options: AnalysisOptions
) -> list[LayerFacts]:
    workers = options.workers or (os.cpu_count() or 1)
    workers = max(1, min(workers, len(todo)))
    progress = _progress(options.progress, len(todo))
    try:
        if workers == 1:
            out = []
            for source in todo:
                out.append(analyze_layer(source, analyzers, options.limits))
                progress.advance()
            return out
        names = tuple(a.name for a in analyzers)
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            # Biggest layers first, so the longest job starts at once.
            order = sorted(todo, key=lambda s: -s.blob.length)
            futures: dict[str, Future[LayerFacts]] = {
                s.diff_id: pool.submit(_analyze_in_worker, s, "image", names, options) for s in order
            }
            results = {}
            try:
                for diff_id, fut in futures.items():
                    results[diff_id] = fut.result()
                    progress.advance()
            except BaseException:
                for fut in futures.values():
                    fut.cancel()
                raise
            return [results[s.diff_id] for s in todo]
    finally:
        progress.stop()


class _Progress:
    def __init__(self, enabled: bool, total: int) -> None:
        self._bar = None
        if enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            from seawall.log import stderr_console

            self._bar = Progress(
                TextColumn("analyzing layers"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=stderr_console(),
                transient=True,
            )
            self._task = self._bar.add_task("layers", total=total)
            self._bar.start()

    def advance(self) -> None:
        if self._bar is not None:
            self._bar.advance(self._task)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()


def _progress(enabled: bool, total: int) -> _Progress:
    return _Progress(enabled, total)


def scan_image(image: Image, cache_dir: Path, options: AnalysisOptions | None = None) -> Inventory:
    """Analyze an image's layers and merge them into its inventory."""
    options = options or AnalysisOptions()
    layer_facts = analyze_image_layers(image, cache_dir, options)
    merged = merge_layers(
        [(layer.ref, facts) for layer, facts in zip(image.layers, layer_facts, strict=True)]
    )
    inventory = build_inventory(merged, image.name, "container_image", image.metadata())
    return _finish(inventory, _analyzers("image", options))


def scan_directory(root: Path, kind: str = "rootfs", options: AnalysisOptions | None = None) -> Inventory:
    """Analyze a root filesystem (``kind="rootfs"``) or a source tree (``kind="fs"``)."""
    options = options or AnalysisOptions()
    analyzers = _analyzers(kind, options)
    facts = analyze_directory(root, analyzers, options.limits, kind)
    merged = merge_layers([(LayerRef(), facts)])
    return _finish(build_inventory(merged, str(root), "filesystem"), analyzers)


def _finish(inventory: Inventory, analyzers: list[Analyzer]) -> Inventory:
    """Let each analyzer adjust the merged applications (see Analyzer.finish)."""
    applications = list(inventory.applications)
    for analyzer in analyzers:
        applications = analyzer.finish(applications)
    return dataclasses.replace(inventory, applications=tuple(applications))
