"""ganmash: a writer-style-conditioned glyph GAN as a symbol source for Mashcima.

Public Python API (the ``ganmash`` CLI is a thin front over these):

    glyphs = extract_glyph_set(load_muscima_pp(locate_muscima_pp()))      # MUSCIMA++ -> glyph set
    train(PRESETS["cpu"], "data/glyphs-64", "runs/cpu")                    # glyph set -> checkpoint
    sampler = load_generator("runs/cpu/latest.pt", "cpu")                  # checkpoint -> glyphs
    with mashcima_provider("runs/cpu/latest.pt", ratio=0.5):              # checkpoint -> Mashcima
        image = mashcima.synthesize_for_training(annotation)
"""
from gan import PRESETS, GlyphSampler, GlyphSet, GlyphSetError, TrainConfig, evaluate, load_generator, train
from ganwriting_mashcima.provider import (default_checkpoint, mashcima_provider, mixed_repository,
                                          register_provider, unregister_provider)
from symbol_sources import (EVALUATION_WRITERS, extract_from_folders, extract_glyph_set, load_muscima_pp,
                            locate_muscima_pp)
from symbol_sources.mashcima_provider import MixedSymbolRepository

__all__ = [
    "PRESETS", "GlyphSampler", "GlyphSet", "GlyphSetError", "TrainConfig", "evaluate", "load_generator", "train",
    "default_checkpoint", "mashcima_provider", "mixed_repository", "register_provider", "unregister_provider",
    "EVALUATION_WRITERS", "extract_from_folders", "extract_glyph_set", "load_muscima_pp", "locate_muscima_pp",
    "MixedSymbolRepository",
]
