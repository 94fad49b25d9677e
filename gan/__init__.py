"""Writer-style-conditioned glyph GAN. Knows nothing of Mashcima or MUSCIMA++: it reads glyph sets."""
from gan.checkpoint import CheckpointError, GlyphSampler, export_sampler, load_generator
from gan.config import PRESETS, ConfigError, TrainConfig
from gan.evaluation import (EvalSettings, GenerateFn, GlyphClassifier, accuracy_report, classify, evaluate,
                            sampler_generate_fn, train_classifier)
from gan.files import append_jsonl, atomic_save_npz, atomic_write, atomic_write_bytes, atomic_write_json, prepare_output_dir
from gan.glyphset import GlyphSet, GlyphSetError
from gan.grid import save_glyph_grid
from gan.training import resolve_device, train
