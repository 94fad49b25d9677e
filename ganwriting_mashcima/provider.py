"""Public API: install the GAN-backed symbol repository as Mashcima's default.

    import mashcima, ganwriting_mashcima as gm
    with gm.mashcima_provider(ratio=0.5):
        img = mashcima.synthesize_for_training("clef.G-2 q4 q5 | h6 |")   # Mashcima, untouched
"""
from __future__ import annotations

import contextlib
import os
from typing import Iterable, Iterator

from symbol_sources import locate_muscima_pp
from symbol_sources.mashcima_provider import MixedSymbolRepository, install, open_mixed_repository, uninstall
from symbol_sources.pretrained import default_checkpoint  # also ganwriting_mashcima.default_checkpoint (public)


def mixed_repository(checkpoint: str | os.PathLike | None = None, ratio: float = 0.5, device: str = "auto",
                     style: str = "per-staff", *, muscima_pp: str | os.PathLike | None = None,
                     seed: int | None = None, writers: Iterable[int] | None = None, bank_size: int | None = None,
                     real_classes: Iterable[str] = (), precision: str = "auto", novel_scale: float = 1.0,
                     style_from: str | os.PathLike | None = None) -> MixedSymbolRepository:
    """A ``MixedSymbolRepository`` (real glyphs of the training writers + the GAN of ``checkpoint``).

    Every generated glyph is fresh, unless ``bank_size`` caps them at that many per writer and class. ``style``:
    ``per-staff`` (a training writer per staff), ``per-glyph``, or ``novel`` (a new hand per staff, mixed from 2-3
    writers and pushed out by ``novel_scale``); ``style_from``: a folder of glyph images of the hand to follow.
    The classes of ``real_classes`` are never generated; ``precision``: ``auto`` (bf16 where native), fp32, bf16.
    """
    return open_mixed_repository(checkpoint or default_checkpoint(), locate_muscima_pp(muscima_pp), ratio=ratio,
                                 device=device, style=style, seed=seed, writers=writers, bank_size=bank_size,
                                 real_classes=real_classes, precision=precision, novel_scale=novel_scale,
                                 style_from=style_from)


def register_provider(checkpoint: str | os.PathLike | None = None, ratio: float = 0.5, device: str = "auto",
                      style: str = "per-staff", **kwargs) -> MixedSymbolRepository:
    """Make Mashcima's ``synthesize*`` functions draw from real and generated glyphs (``ratio`` generated)."""
    return install(mixed_repository(checkpoint, ratio, device, style, **kwargs))


def unregister_provider() -> None:
    """Give Mashcima back the repository it had before ``register_provider``."""
    uninstall()


@contextlib.contextmanager
def mashcima_provider(checkpoint: str | os.PathLike | None = None, ratio: float = 0.5, device: str = "auto",
                      style: str = "per-staff", **kwargs) -> Iterator[MixedSymbolRepository]:
    repo = register_provider(checkpoint, ratio, device, style, **kwargs)
    try:
        yield repo
    finally:
        unregister_provider()
