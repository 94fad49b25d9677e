"""The forward passes the trainer's optimiser steps train through, each as one module call.

DistributedDataParallel prepares its gradient averaging in a module's ``forward``; a method called around it
(``G.synthesize``, ``W.from_code``) would give gradients it never prepared for. These modules make the training
passes the ``forward`` of a module that holds the network, so the DDP wrapper sees them.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from gan.networks import GlyphGenerator, WriterIdentifier


class GeneratorFromFeatures(nn.Module):
    """G from cached reference features: the trainer averages rows of W's features instead of encoding glyphs."""

    def __init__(self, generator: GlyphGenerator) -> None:
        super().__init__()
        self.generator = generator

    def forward(self, mean_features: torch.Tensor, labels: torch.Tensor,
                z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        style = self.generator.style_encoder.project(mean_features)  # (B, C4) -> (B, style_dim)
        return style, self.generator.synthesize(style, labels, z)  # and (B, 1, S, S)


class WriterHeads(nn.Module):
    """W's two heads in one call: writer logits of glyphs, and (when given) of style codes."""

    def __init__(self, writer_identifier: WriterIdentifier) -> None:
        super().__init__()
        self.writer_identifier = writer_identifier

    def forward(self, glyphs: torch.Tensor,
                codes: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        w = self.writer_identifier
        return w(glyphs), None if codes is None else w.from_code(codes)  # (B, n_writers) each
