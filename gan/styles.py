"""Hands that no training writer has: points of the generator's style space between and beyond the writers'.

A writer's style code is the projection of its mean class-centred writer feature (``GlyphSampler.writer_styles``).
A new hand is a convex mixture of 2 or 3 training writers' codes (Dirichlet(1) weights: any point of the triangle
equally likely), moved away from the mean of all writers by ``scale``: mixing pulls a hand towards the crowd of
writers (the average of two hands is plainer than either), and ``scale`` > 1 pushes it back out. The scale is
chosen on the validation writers so that new hands lie as far from the nearest training hand as real unseen
writers do (``experiments.novel_hands``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

DEFAULT_NOVEL_SCALE = 1.0


@dataclass(frozen=True)
class NovelHand:
    """One new hand: its parent writers, their weights, the scale, and the style code (style_dim,)."""

    parents: tuple[int, ...]
    weights: tuple[float, ...]
    scale: float
    code: torch.Tensor

    def describe(self) -> str:
        """E.g. ``novel 0.62*w3+0.38*w17 x1.0``: what a manifest records of the hand."""
        mix = "+".join(f"{w:.2f}*w{p}" for p, w in zip(self.parents, self.weights))
        return f"novel {mix} x{self.scale:g}"


def novel_hand(writer_styles: torch.Tensor, writers: tuple[int, ...], rng: np.random.Generator,
               scale: float = DEFAULT_NOVEL_SCALE) -> NovelHand:
    """A new hand from ``writer_styles`` (W, style_dim), the codes of ``writers``, drawn with ``rng``."""
    if scale <= 0:
        raise ValueError(f"the novel-hand scale must be > 0, got {scale}")
    n_writers = len(writers)
    k = int(rng.integers(2, 4)) if n_writers >= 3 else n_writers  # 2 or 3 parents
    parents = np.sort(rng.choice(n_writers, size=k, replace=False))
    weights = rng.dirichlet(np.ones(k))
    styles = writer_styles.float().cpu()
    centre = styles.mean(0)  # (style_dim,)
    mixture = torch.as_tensor(weights, dtype=torch.float32) @ styles[torch.as_tensor(parents)]  # (style_dim,)
    code = centre + scale * (mixture - centre)
    return NovelHand(tuple(int(writers[i]) for i in parents), tuple(float(w) for w in weights), float(scale),
                     code.to(writer_styles.device))
