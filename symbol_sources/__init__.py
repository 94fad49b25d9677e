"""MUSCIMA++ reading, glyph-set extraction and (later) Mashcima adapters.

Knows MUSCIMA++ and Mashcima; uses ``gan`` only through its public API.
"""
from symbol_sources.download import MUSCIMA_PP_URL, DownloadError, download_muscima_pp
from symbol_sources.extract import (EVALUATION_WRITERS, MASHCIMA_PRIMITIVES, default_classes, extract_from_folders,
                                    extract_glyph_set, to_square)
from symbol_sources.locate import ENV_VAR, PROJECT_MUSCIMA_PP, DataNotFoundError, locate_muscima_pp
from symbol_sources.muscima_pp import MuscimaError, MuscimaPP, default_cache_dir, load_muscima_pp

__all__ = [
    "MUSCIMA_PP_URL", "DownloadError", "download_muscima_pp", "EVALUATION_WRITERS", "MASHCIMA_PRIMITIVES",
    "default_classes", "extract_from_folders", "extract_glyph_set", "to_square", "ENV_VAR", "PROJECT_MUSCIMA_PP",
    "DataNotFoundError", "locate_muscima_pp", "MuscimaError", "MuscimaPP", "default_cache_dir", "load_muscima_pp",
]
