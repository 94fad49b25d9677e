"""Smashcima's asset bundles, offline: its MUSCIMA++ bundle from the MUSCIMA++ ganmash already located, and
nothing downloaded unless the caller allows it.

Smashcima keeps asset bundles in one folder (``AssetRepository``) and installs a missing bundle by downloading
it. Here the folder is ganmash's own (``smashcima-assets-<key>`` in ganmash's cache folder, keyed by the
MUSCIMA++ folder it links), and:

* the MUSCIMA++ bundle is a symbolic link to the located MUSCIMA++ folder (no copy, no download);
* the MUSCIMA++ glyph bundle is extracted from it (minutes, once; Smashcima's own extraction, no network);
* the glyph bundle's symbol repository leaves out the given writers (default: the evaluation writers), so
  neither Smashcima's writer choice (``MuscimaPPStyleDomain``) nor its fall-back glyph draws reach them;
* MZK paper textures are used only where they are installed (here, or in Smashcima's own asset folder);
* any other missing bundle is an error, unless ``allow_download``.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Iterable

from smashcima.assets.AssetBundle import AssetBundle
from smashcima.assets.AssetRepository import AssetRepository
from smashcima.assets.datasets.MuscimaPP import MuscimaPP
from smashcima.assets.glyphs.mung.repository.MungSymbolRepository import MungSymbolRepository
from smashcima.assets.glyphs.muscima_pp.MuscimaPPGlyphs import MuscimaPPGlyphs
from smashcima.assets.textures.MzkPaperPatches import MzkPaperPatches

from symbol_sources.locate import EVALUATION_WRITERS
from symbol_sources.muscima_pp import default_cache_dir
from symbol_sources.smashcima_extra import SmashcimaAssetsError

ASSETS_PREFIX = "smashcima-assets-"


class WritersMuscimaPPGlyphs(MuscimaPPGlyphs):
    """Smashcima's MUSCIMA++ glyph bundle whose symbol repository leaves out ``excluded_writers``."""

    def __init__(self, bundle_directory: Path, dependency_resolver, excluded_writers: Iterable[int] = ()) -> None:
        super().__init__(bundle_directory, dependency_resolver)
        self.excluded_writers = frozenset(int(w) for w in excluded_writers)
        self._kept: MungSymbolRepository | None = None

    def load_symbol_repository(self) -> MungSymbolRepository:
        if self._kept is None:
            full = super().load_symbol_repository()
            self._kept = (full.filter_styles(lambda style: int(style) not in self.excluded_writers)
                          if self.excluded_writers else full)
        return self._kept


def bundle_installed(bundle: AssetBundle) -> bool:
    return not bundle.needs_installation()


class OfflineAssetRepository(AssetRepository):
    """An ``AssetRepository`` that installs MUSCIMA++ from a local folder and downloads nothing unless told to."""

    def __init__(self, path: Path, muscima_pp: Path, excluded_writers: Iterable[int] = EVALUATION_WRITERS,
                 allow_download: bool = False, smashcima_assets: Path | None = None) -> None:
        super().__init__(Path(path))
        self.muscima_pp = Path(muscima_pp).resolve()
        self.excluded_writers = tuple(sorted(int(w) for w in excluded_writers))
        self.allow_download = allow_download
        # Smashcima's own asset folder: MZK textures a user already downloaded with Smashcima are linked from it
        self.smashcima_assets = smashcima_assets

    def _new_bundle(self, bundle_type: type) -> AssetBundle:
        directory = self.path / bundle_type.__name__
        if bundle_type is MuscimaPPGlyphs:
            return WritersMuscimaPPGlyphs(directory, self, self.excluded_writers)
        return bundle_type(bundle_directory=directory, dependency_resolver=self)

    def resolve_bundle(self, bundle_type, force_install=False):
        if bundle_type in self._bundle_cache:
            return self._bundle_cache[bundle_type]
        if bundle_type is MzkPaperPatches:
            self._link_smashcima_bundle(bundle_type)
        bundle = self._new_bundle(bundle_type)
        self._bundle_cache[bundle_type] = bundle
        if hasattr(bundle, "__post_init__"):
            bundle.__post_init__()  # resolves the bundles it depends on, through this repository
        if bundle_installed(bundle) and not force_install:
            return bundle
        if bundle_type is MuscimaPP:
            self._link_muscima_pp(bundle)
            return bundle
        if bundle_type is not MuscimaPPGlyphs and not self.allow_download:
            del self._bundle_cache[bundle_type]
            raise SmashcimaAssetsError(
                f"Smashcima asset bundle {bundle_type.__name__} is not installed in {self.path} and ganmash "
                "downloads nothing unless asked (allow_download=True, or --allow-download)")
        # MuscimaPPGlyphs: extracted from the linked MUSCIMA++ (no network); else a download the caller allowed
        bundle.remove()
        bundle.bundle_directory.mkdir(parents=True)
        bundle.install()
        bundle.write_metadata()  # last: an interrupted install is redone next time
        return bundle

    def _link_muscima_pp(self, bundle: MuscimaPP) -> None:
        bundle.remove()
        bundle.bundle_directory.mkdir(parents=True)
        (bundle.bundle_directory / "v1.0").symlink_to(self.muscima_pp, target_is_directory=True)
        if not bundle.cropobjects_directory.is_dir():
            raise SmashcimaAssetsError(f"{self.muscima_pp} has no data/cropobjects_withstaff/ (MUSCIMA++ v1.0)")
        bundle.write_metadata()

    def _link_smashcima_bundle(self, bundle_type: type) -> None:
        """Link a bundle installed in Smashcima's own asset folder, when this folder has none."""
        ours = self.path / bundle_type.__name__
        if self.smashcima_assets is None or ours.exists() or ours.is_symlink():
            return
        theirs = bundle_type(bundle_directory=Path(self.smashcima_assets) / bundle_type.__name__,
                             dependency_resolver=self)
        if theirs.bundle_directory.is_dir() and bundle_installed(theirs):
            ours.symlink_to(theirs.bundle_directory.resolve(), target_is_directory=True)

    def has_mzk_paper(self) -> bool:
        """Whether MZK paper textures are installed (here or, linked, in Smashcima's folder): no download."""
        self._link_smashcima_bundle(MzkPaperPatches)
        return bundle_installed(MzkPaperPatches(bundle_directory=self.path / MzkPaperPatches.__name__,
                                                dependency_resolver=self))


def smashcima_assets_dir(muscima_pp: str | os.PathLike, cache_dir: str | os.PathLike | None = None) -> Path:
    """ganmash's Smashcima asset folder for this MUSCIMA++ folder (a bundle built from another folder is another
    folder, never a stale one)."""
    key = hashlib.sha256(str(Path(muscima_pp).resolve()).encode()).hexdigest()[:16]
    return Path(cache_dir or default_cache_dir()) / f"{ASSETS_PREFIX}{key}"


def open_offline_assets(muscima_pp: str | os.PathLike, cache_dir: str | os.PathLike | None = None,
                        excluded_writers: Iterable[int] = EVALUATION_WRITERS,
                        allow_download: bool = False) -> OfflineAssetRepository:
    from smashcima.config import MC_ASSETS_CACHE

    return OfflineAssetRepository(smashcima_assets_dir(muscima_pp, cache_dir), Path(muscima_pp),
                                  excluded_writers=excluded_writers, allow_download=allow_download,
                                  smashcima_assets=Path(MC_ASSETS_CACHE))
