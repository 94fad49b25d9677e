"""Differentiable augmentation for the discriminator (DiffAugment, Zhao et al., NeurIPS 2020).

The same random translations and cutouts are applied to real and generated glyphs wherever D sees them, and
gradients flow through to G: D cannot memorise ~50k glyphs, and G is not taught to draw the augmentations,
since D never sees an unaugmented glyph. Colour jitter is left out: glyphs are ink on paper, nothing more.
Images are (B, 1, S, S) in [-1, 1] with -1 = paper; what moves in from the border, or is cut out, is paper.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

TRANSLATE = 0.125  # of the side: up to 8 px at 64 px, as far as glyphs sit from their square's centre
CUTOUT = 0.25  # side of the square cut out; DiffAugment's 0.5 would erase most of a thin glyph


def diff_augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random translation, then a random cutout, per sample; randomness from ``generator`` (CPU)."""
    return cutout(translate(x, TRANSLATE, generator), CUTOUT, generator)


def translate(x: torch.Tensor, ratio: float, generator: torch.Generator) -> torch.Tensor:
    b, _, h, w = x.shape
    dy = torch.randint(-int(h * ratio), int(h * ratio) + 1, (b, 1, 1), generator=generator).to(x.device)
    dx = torch.randint(-int(w * ratio), int(w * ratio) + 1, (b, 1, 1), generator=generator).to(x.device)
    rows = (torch.arange(h, device=x.device)[None, :, None] - dy + 1).clamp(0, h + 1)  # (B, H, 1) into the padded
    cols = (torch.arange(w, device=x.device)[None, None, :] - dx + 1).clamp(0, w + 1)  # (B, 1, W)
    padded = F.pad(x, (1, 1, 1, 1), value=-1.0)  # a paper border: shifted-in pixels read it
    batch = torch.arange(b, device=x.device)[:, None, None]
    return padded.permute(0, 2, 3, 1)[batch, rows, cols].permute(0, 3, 1, 2)  # (B, C, H, W)


def cutout(x: torch.Tensor, ratio: float, generator: torch.Generator) -> torch.Tensor:
    b, _, h, w = x.shape
    ch, cw = max(1, int(h * ratio)), max(1, int(w * ratio))
    top = torch.randint(0, h - ch + 1, (b, 1, 1), generator=generator).to(x.device)
    left = torch.randint(0, w - cw + 1, (b, 1, 1), generator=generator).to(x.device)
    r = torch.arange(h, device=x.device)[None, :, None]
    c = torch.arange(w, device=x.device)[None, None, :]
    hole = ((r >= top) & (r < top + ch) & (c >= left) & (c < left + cw))[:, None]  # (B, 1, H, W)
    return torch.where(hole, torch.full_like(x, -1.0), x)
