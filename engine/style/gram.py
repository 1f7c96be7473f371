"""The three terms of the style-transfer objective: content, style (through Gram matrices) and total variation.

Gatys et al. generate an image G whose features at a mid-level layer match the content image C and whose
feature *correlations* at several layers match the style image S: J(G) = α J_content(C, G) + β J_style(S, G),
plus a small total-variation term that discourages pixel noise. Every term is normalised so that its size
does not depend on the image size or on the layer's width, which lets one set of α, β and per-layer weights
work from 64 px to 1024 px and across layers:

- Gram[l] = F Fᵀ / (C·H·W), with F the layer's activations reshaped to (C, H·W): the channels' mean products
  over positions, divided once more by the channel count C ("normalised by the layer size" C·H·W).
- J_style = Σ_l w_l ‖Gram[l](S) − Gram[l](G)‖²  (squared Frobenius norm, summed over all C × C entries).
- J_content = ½ ‖a[l](C) − a[l](G)‖² / (C·H·W): half the *mean* squared difference of the activations
  (the sum over C·H·W values would grow 16× from 128 px to 512 px).
- TV = mean (x[i+1, j] − x[i, j])² + mean (x[i, j+1] − x[i, j])²: the squared total variation of the image,
  smooth (unlike |·|) so that L-BFGS's curvature estimates stay sensible.
"""

from __future__ import annotations

import torch


def gram(features: torch.Tensor) -> torch.Tensor:
    """Gram matrices (B, C, C) of activations (B, C, H, W): F Fᵀ / (C·H·W) with F = features as (B, C, H·W).

    Entry (k, k') is Σ_ij a_ijk a_ijk' / (C·H·W). Positions are summed over, so where a pattern appears is
    forgotten and only which channels fire together is kept: shuffling positions leaves the Gram unchanged."""
    b, c, h, w = features.shape
    f = features.reshape(b, c, h * w)  # (B, C, N)
    return f @ f.transpose(1, 2) / (c * h * w)  # (B, C, C)


def style_loss(target_gram: torch.Tensor, generated_gram: torch.Tensor) -> torch.Tensor:
    """‖Gram(S) − Gram(G)‖² for one layer: the squared Frobenius norm, summed over the batch. Both (B, C, C)."""
    return (target_gram - generated_gram).square().sum()


def content_loss(target: torch.Tensor, generated: torch.Tensor) -> torch.Tensor:
    """½ ‖a(C) − a(G)‖² / (C·H·W) for activations (B, C, H, W): half the mean squared difference."""
    return 0.5 * (target - generated).square().mean()


def total_variation(image: torch.Tensor) -> torch.Tensor:
    """Squared total variation of images (B, 3, H, W): mean squared difference of vertical neighbours plus that of
    horizontal neighbours. Zero for a flat image; large for pixel noise."""
    dy = image[:, :, 1:, :] - image[:, :, :-1, :]  # (B, 3, H−1, W)
    dx = image[:, :, :, 1:] - image[:, :, :, :-1]  # (B, 3, H, W−1)
    return dy.square().mean() + dx.square().mean()
