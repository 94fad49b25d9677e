"""The five networks of the writer-style glyph GAN (after GANwriting, Kang et al. 2020).

  StyleEncoder       k reference glyphs of one writer -> style code: a frozen copy of W's pretrained trunk, whose
                     features are centred per class and averaged over the references
  GlyphGenerator     (style code, class, latent) -> glyph; owns its StyleEncoder so G(refs, class, z) is one call;
                     the latent is the noise z, and with ``pixel_noise`` the per-pixel noise maps after it
  GlyphDiscriminator (glyph, class) -> realness; projection discriminator with spectral norm
  GlyphRecognizer    glyph -> class logits; trained on real glyphs, makes G draw the asked class
  WriterIdentifier   glyph -> writer logits; trained on real glyphs, makes G draw in the reference writer's hand

Images are (B, 1, S, S) in [-1, 1], +1 = ink. S is a power of two >= 16; every network works from a 4x4 grid,
so the number of up/down-sampling blocks is log2(S / 4).
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.parametrizations import spectral_norm


def stage_channels(resolution: int, image_size: int, channels: int) -> int:
    """Channels at a given resolution: ``channels`` at full size, doubling per halving, capped at 8x and 256."""
    return min(channels * (image_size // resolution), 8 * channels, 256)


def check_image_size(image_size: int) -> int:
    if image_size < 8 or image_size & (image_size - 1):
        raise ValueError(f"image size must be a power of two >= 8, got {image_size}")
    return int(math.log2(image_size // 4))


class DownTrunk(nn.Module):
    """Shared shape of every image-reading network: S x S -> 4 x 4 in stride-2 steps."""

    def __init__(self, image_size: int, channels: int, sn: bool = False, batch_norm: bool = False) -> None:
        super().__init__()
        wrap = spectral_norm if sn else (lambda m: m)
        n_down = check_image_size(image_size)
        layers: list[nn.Module] = [wrap(nn.Conv2d(1, stage_channels(image_size, image_size, channels), 3, 1, 1)),
                                   nn.LeakyReLU(0.2)]
        res = image_size
        for _ in range(n_down):
            c_in, c_out = stage_channels(res, image_size, channels), stage_channels(res // 2, image_size, channels)
            if batch_norm:
                layers += [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2)]
            else:
                layers += [wrap(nn.Conv2d(c_in, c_out, 4, 2, 1)), nn.LeakyReLU(0.2)]
            res //= 2
        self.net = nn.Sequential(*layers)
        self.out_channels = stage_channels(4, image_size, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)  # (B, 1, S, S) -> (B, C4, 4, 4)


class StyleEncoder(nn.Module):
    """Writer features of the references, centred per class, averaged, projected to a style code.

    The features are those of the writer identifier: the trainer copies W's trunk in once W has been pretrained on
    real glyphs, and it stays frozen. Learning them through the generator did not work: a trunk trained by G's
    losses gave codes that named the writer barely above chance (README, "Style control"). W's features say
    more about a glyph's class than about its hand, so each reference's class mean is removed first
    (``class_means``, set with the trunk): the mean of k references is then the hand, not the mix of classes the
    references happen to be. References without labels are given the class whose mean feature is nearest.
    """

    def __init__(self, n_classes: int, image_size: int, channels: int, style_dim: int) -> None:
        super().__init__()
        self.trunk = DownTrunk(image_size, channels, batch_norm=True).requires_grad_(False).eval()
        self.register_buffer("class_means", torch.zeros(n_classes, self.trunk.out_channels))  # (n_classes, C4)
        self.out = nn.Linear(self.trunk.out_channels, style_dim)

    def train(self, mode: bool = True) -> "StyleEncoder":
        super().train(mode)
        self.trunk.eval()  # frozen, batch norm included: running statistics of real glyphs, in training too
        return self

    @torch.no_grad()
    def features(self, glyphs: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Class-centred writer features (N, C4) of glyphs (N, S, S) in [-1, 1]."""
        f = self.trunk(glyphs[:, None]).mean((2, 3)).float()  # (N, C4)
        if labels is None:
            labels = torch.cdist(f, self.class_means).argmin(1)  # (N,)
        return f - self.class_means[labels]

    def project(self, mean_features: torch.Tensor) -> torch.Tensor:
        return self.out(mean_features)  # (B, C4) -> (B, style_dim)

    def forward(self, refs: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        b, k, s, _ = refs.shape  # (B, k, S, S): k reference glyphs of one writer, any classes
        f = self.features(refs.reshape(b * k, s, s), None if labels is None else labels.reshape(b * k))
        # Mean over the references: the code is what the writer's glyphs share, independent of k and their order.
        return self.project(f.reshape(b, k, -1).mean(1))  # (B, style_dim)


class AdaIN(nn.Module):
    """Instance norm whose scale and shift come from the latent w (style + class + noise)."""

    def __init__(self, channels: int, w_dim: int) -> None:
        super().__init__()
        self.norm = nn.InstanceNorm2d(channels, affine=False)
        self.affine = nn.Linear(w_dim, 2 * channels)
        nn.init.zeros_(self.affine.weight)  # start as plain instance norm (scale 1, shift 0)
        nn.init.zeros_(self.affine.bias)

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        gamma, beta = self.affine(w)[:, :, None, None].chunk(2, dim=1)  # (B, C, 1, 1) each
        return self.norm(x) * (1 + gamma) + beta


class NoiseInjection(nn.Module):
    """Adds a noise map (B, 1, H, W) to every channel with a learned per-channel strength (StyleGAN): stroke detail
    that varies from glyph to glyph without going through w. The strength starts at 0, so the noise enters only as
    far as training finds it useful."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.strength = nn.Parameter(torch.zeros(1, channels, 1, 1))

    def forward(self, x: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        return x + self.strength * noise  # (B, C, H, W) + (1, C, 1, 1) * (B, 1, H, W)


class UpBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, w_dim: int, pixel_noise: bool = False) -> None:
        super().__init__()
        self.conv1, self.norm1 = nn.Conv2d(c_in, c_out, 3, 1, 1), AdaIN(c_out, w_dim)
        self.conv2, self.norm2 = nn.Conv2d(c_out, c_out, 3, 1, 1), AdaIN(c_out, w_dim)
        self.noise1 = NoiseInjection(c_out) if pixel_noise else None
        self.noise2 = NoiseInjection(c_out) if pixel_noise else None

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        """``noise``: (B, 2, 2R, 2R), one map per convolution, when the block injects pixel noise."""
        x = F.interpolate(x, scale_factor=2, mode="nearest")  # (B, c_in, 2R, 2R)
        x = self.conv1(x)
        if self.noise1 is not None:
            x = self.noise1(x, noise[:, :1])
        x = F.leaky_relu(self.norm1(x, w), 0.2)
        x = self.conv2(x)
        if self.noise2 is not None:
            x = self.noise2(x, noise[:, 1:])
        return F.leaky_relu(self.norm2(x, w), 0.2)  # (B, c_out, 2R, 2R)


class GlyphGenerator(nn.Module):
    def __init__(self, n_classes: int, image_size: int = 64, channels: int = 32, style_dim: int = 64,
                 z_dim: int = 32, class_dim: int = 32, mapping_layers: int = 2, pixel_noise: bool = False) -> None:
        super().__init__()
        n_up = check_image_size(image_size)
        self.image_size, self.z_dim, self.style_dim = image_size, z_dim, style_dim
        # The pixel noise is part of the latent, drawn with z from the same generator, so a glyph depends only on
        # its latent, style and class, as without it (seeded sampling, batch invariance).
        self.noise_sides = tuple(8 * 2**i for i in range(n_up)) if pixel_noise else ()  # each block's 2R
        self.latent_dim = z_dim + sum(2 * r * r for r in self.noise_sides)
        self.style_encoder = StyleEncoder(n_classes, image_size, channels, style_dim)
        self.class_embed = nn.Embedding(n_classes, class_dim)
        c4 = stage_channels(4, image_size, channels)
        w_dim = c4
        layers: list[nn.Module] = []
        for i in range(mapping_layers):
            layers += [nn.Linear(style_dim + class_dim + z_dim if i == 0 else w_dim, w_dim), nn.LeakyReLU(0.2)]
        self.mapping = nn.Sequential(*layers)
        # The 4x4 seed depends on class and noise only: the class fixes the coarse shape, style modulates strokes.
        self.seed = nn.Linear(class_dim + z_dim, c4 * 16)
        self.blocks = nn.ModuleList()
        res = 4
        for _ in range(n_up):
            self.blocks.append(UpBlock(stage_channels(res, image_size, channels),
                                       stage_channels(2 * res, image_size, channels), w_dim, pixel_noise))
            res *= 2
        self.to_image = nn.Conv2d(stage_channels(image_size, image_size, channels), 1, 1)

    def forward(self, refs: torch.Tensor, labels: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return self.synthesize(self.style_encoder(refs), labels, z)

    def synthesize(self, style: torch.Tensor, labels: torch.Tensor, latent: torch.Tensor) -> torch.Tensor:
        """Glyphs from precomputed style codes (B, style_dim), class indices (B,) and latents (B, latent_dim): the
        noise z, then (with pixel noise) each block's two noise maps, flattened."""
        b = len(labels)
        z, pixels = latent[:, :self.z_dim], latent[:, self.z_dim:]  # (B, z_dim), (B, latent_dim - z_dim)
        sides = self.noise_sides or (0,) * len(self.blocks)  # 0: a block without noise
        maps = pixels.split([2 * r * r for r in sides], 1)  # (B, 2 * 2R * 2R) per block
        c = self.class_embed(labels)  # (B, class_dim)
        w = self.mapping(torch.cat([style, c, z], 1))  # (B, w_dim)
        x = self.seed(torch.cat([c, z], 1)).reshape(b, -1, 4, 4)  # (B, C4, 4, 4)
        for block, r, noise in zip(self.blocks, sides, maps):
            x = block(x, w, noise.reshape(b, 2, r, r) if r else None)  # doubles the resolution
        return torch.tanh(self.to_image(x))  # (B, 1, S, S) in [-1, 1]


class MinibatchStd(nn.Module):
    """Appends the std of each feature across a group of samples, averaged to one channel (StyleGAN): a batch of
    near-copies has a telling low std, so D can punish collapse, which per-sample D cannot see."""

    def __init__(self, group_size: int = 4) -> None:
        super().__init__()
        self.group_size = group_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        g = math.gcd(self.group_size, b)
        y = x.float().reshape(g, -1, c, h, w)  # (G, B/G, C, H, W): sample i is in group i mod B/G
        std = (y.var(0, unbiased=False) + 1e-8).sqrt().mean((1, 2, 3))  # (B/G,)
        return torch.cat([x, std.to(x.dtype).repeat(g)[:, None, None, None].expand(b, 1, h, w)], 1)  # (B, C+1, H, W)


class GlyphDiscriminator(nn.Module):
    """Projection discriminator (Miyato & Koyama 2018): D(x, y) = psi(h) + <embed(y), h>, with an optional
    minibatch-std channel before its last convolution."""

    def __init__(self, n_classes: int, image_size: int = 64, channels: int = 32, mbstd_group: int = 0) -> None:
        super().__init__()
        self.trunk = DownTrunk(image_size, channels, sn=True)
        c = self.trunk.out_channels
        self.mbstd = MinibatchStd(mbstd_group) if mbstd_group else None
        self.epilogue = nn.Sequential(spectral_norm(nn.Conv2d(c + 1, c, 3, 1, 1)), nn.LeakyReLU(0.2)) \
            if mbstd_group else nn.Identity()
        self.psi = spectral_norm(nn.Linear(c, 1))
        self.embed = spectral_norm(nn.Embedding(n_classes, c))

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        h = self.trunk(x)  # (B, C4, 4, 4)
        if self.mbstd is not None:
            h = self.epilogue(self.mbstd(h))  # (B, C4 + 1, 4, 4) -> (B, C4, 4, 4)
        h = h.sum((2, 3))  # (B, C4)
        return self.psi(h).squeeze(1) + (self.embed(labels) * h).sum(1)  # (B,)


class GlyphRecognizer(nn.Module):
    def __init__(self, n_classes: int, image_size: int = 64, channels: int = 32) -> None:
        super().__init__()
        self.trunk = DownTrunk(image_size, channels)
        self.head = nn.Linear(self.trunk.out_channels, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.trunk(x).mean((2, 3)))  # (B, n_classes) logits


class WriterIdentifier(nn.Module):
    """Writer of a glyph; and, from a style code, the writer whose references made it (``code_head``).

    Writers differ in details (16 % of 44 writers named from one real glyph), which the plain trunk never learned
    (its loss stayed at ln 44); batch norm and a pretraining phase on real glyphs make it as good as the measuring
    classifier before the generator is judged by it. Its trunk also becomes the style encoder's.
    """

    def __init__(self, n_writers: int, image_size: int = 64, channels: int = 32, style_dim: int = 64) -> None:
        super().__init__()
        self.trunk = DownTrunk(image_size, channels, batch_norm=True)
        self.head = nn.Linear(self.trunk.out_channels, n_writers)
        self.code_head = nn.Sequential(nn.LayerNorm(style_dim), nn.Linear(style_dim, n_writers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.trunk(x).mean((2, 3)))  # (B, n_writers) logits

    def from_code(self, style: torch.Tensor) -> torch.Tensor:
        return self.code_head(style)  # (B, style_dim) -> (B, n_writers) logits
