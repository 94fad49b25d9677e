"""MUSCIMA++ reading, glyph-set extraction and Mashcima adapters.

Knows MUSCIMA++ and Mashcima; uses ``gan`` only through its public API. The public names below load on first
use, so importing one light submodule does not import them all.
"""
from __future__ import annotations

from gan import lazy_exports

_PUBLIC = {
    "symbol_sources.download": ("MUSCIMA_PP_URL", "DownloadError", "download_muscima_pp"),
    "symbol_sources.extract": ("MASHCIMA_PRIMITIVES", "default_classes", "extract_from_folders", "extract_glyph_set",
                               "to_square"),
    "symbol_sources.locate": ("ENV_VAR", "PROJECT_MUSCIMA_PP", "DataNotFoundError", "EVALUATION_WRITERS",
                              "locate_muscima_pp"),
    "symbol_sources.muscima_pp": ("MuscimaError", "MuscimaPP", "default_cache_dir", "load_muscima_pp"),
}
__all__, __getattr__ = lazy_exports("symbol_sources", _PUBLIC)
