"""ganmash: a writer-style-conditioned glyph GAN as a symbol source for Mashcima.

Public Python API (the CLI is a thin front over these).
"""
from gan.glyphset import GlyphSet, GlyphSetError
from symbol_sources import (EVALUATION_WRITERS, extract_from_folders, extract_glyph_set, load_muscima_pp,
                            locate_muscima_pp)

__all__ = ["GlyphSet", "GlyphSetError", "EVALUATION_WRITERS", "extract_from_folders", "extract_glyph_set",
           "load_muscima_pp", "locate_muscima_pp"]
