"""Writer-style-conditioned glyph GAN. Knows nothing of Mashcima or MUSCIMA++: it reads glyph sets.

The public names below load on first use, so ``import gan.files`` (or a CLI listing its commands) does not
pay for torch.
"""
from __future__ import annotations

from gan.lazy import lazy_exports

_PUBLIC = {
    "gan.checkpoint": ("CheckpointError", "GlyphSampler", "export_sampler", "load_checkpoint", "load_generator"),
    "gan.config": ("MAX_SEED", "PRESETS", "ConfigError", "GivenReplace", "TrainConfig"),
    "gan.device": ("resolve_device",),
    "gan.evaluation": ("EvalSettings", "GenerateFn", "GlyphClassifier", "accuracy_report", "classify", "evaluate",
                       "sampler_generate_fn", "train_classifier"),
    "gan.files": ("append_jsonl", "atomic_save_npz", "atomic_write", "atomic_write_bytes", "atomic_write_json",
                  "check_can_create", "check_output_dir", "check_replaceable_folder", "complete_jsonl",
                  "replace_folder", "replacing_folder"),
    "gan.glyphset": ("GlyphSet", "GlyphSetError"),
    "gan.grid": ("save_glyph_grid",),
    "gan.precision": ("PRECISIONS", "native_bf16", "resolve_precision"),
    "gan.styles": ("DEFAULT_NOVEL_SCALE", "NovelHand", "novel_hand"),
    "gan.run_folder": ("RunFolderError", "run_metrics", "saved_epochs"),
    "gan.lazy": ("lazy_exports",),
    "gan.provenance": ("file_sha256", "provenance"),
    "gan.training": ("train",),
}
__all__, __getattr__ = lazy_exports("gan", _PUBLIC)
