"""ganmash: a writer-style-conditioned glyph GAN as a symbol source for Mashcima.

Public Python API (the ``ganmash`` CLI is a thin front over these):

    glyphs = extract_glyph_set(load_muscima_pp(locate_muscima_pp()))      # MUSCIMA++ -> glyph set
    train(PRESETS["cpu"], "data/glyphs-64", "runs/cpu")                    # glyph set -> checkpoint
    sampler = load_generator("runs/cpu/latest.pt", "cpu")                  # checkpoint -> glyphs
    with mashcima_provider("runs/cpu/latest.pt", ratio=0.5):              # checkpoint -> Mashcima
        image = mashcima.synthesize_for_training(annotation)
    synthesize_pages(["song.musicxml"], "pages", ratio=0.5)               # checkpoint -> Smashcima pages

The names load on first use, so ``ganmash --help`` does not import torch.
"""
from __future__ import annotations

from gan.lazy import lazy_exports

_PUBLIC = {
    "gan": ("PRESETS", "GlyphSampler", "GlyphSet", "GlyphSetError", "TrainConfig", "evaluate", "load_generator",
            "train"),
    "ganwriting_mashcima.provider": ("mashcima_provider", "mixed_repository", "register_provider",
                                     "unregister_provider"),
    "symbol_sources": ("EVALUATION_WRITERS", "extract_from_folders", "extract_glyph_set", "load_muscima_pp",
                       "locate_muscima_pp"),
    "symbol_sources.mashcima_provider": ("MixedSymbolRepository",),
    "symbol_sources.pretrained": ("default_checkpoint",),
    "symbol_sources.smashcima_backend": ("smashcima_model", "synthesize_pages"),  # the smashcima extra
}
__all__, __getattr__ = lazy_exports("ganwriting_mashcima", _PUBLIC)
