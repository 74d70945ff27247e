"""MaskNet: a small CNN of our own design for 64x64 face crops (a few hundred thousand parameters)."""

from __future__ import annotations

import torch
from torch import nn

DEFAULT_WIDTHS = (24, 48, 96, 128, 192)


def macs(widths: tuple[int, ...], side: int = 64) -> int:
    """Multiply-adds of the conv layers for one crop."""
    sizes = [side // 2, side // 2, side // 4, side // 8, side // 16]
    cins = (3, *widths[:-1])
    return sum(s * s * cin * cout * 9 for s, cin, cout in zip(sizes, cins, widths, strict=True))


def _block(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class MaskNet(nn.Module):
    """Input: (N, 3, 64, 64) float32 BGR in 0..255. Output: (N, classes) probabilities (mask, no_mask,
    incorrect and, with 4 classes, not_face: the face verifier)."""

    def __init__(
        self, widths: tuple[int, ...] = DEFAULT_WIDTHS, dropout: float = 0.2, classes: int = 4
    ) -> None:
        super().__init__()
        w = widths
        self.features = nn.Sequential(
            _block(3, w[0], stride=2),  # 32x32
            _block(w[0], w[1]),
            nn.MaxPool2d(2),  # 16x16
            _block(w[1], w[2]),
            nn.MaxPool2d(2),  # 8x8
            _block(w[2], w[3]),
            nn.MaxPool2d(2),  # 4x4
            _block(w[3], w[4]),
        )
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(w[4], classes))
        self.export_probs = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x * (1.0 / 127.5) - 1.0
        x = self.features(x).mean(dim=(2, 3))
        logits = self.head(x)
        return torch.softmax(logits, dim=1) if self.export_probs else logits


class MaskEnsemble(nn.Module):
    """Several MaskNets trained with different seeds; exported as one graph that averages their probabilities."""

    def __init__(self, members: list[MaskNet]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        probs = [torch.softmax(m(x), dim=1) for m in self.members]
        return torch.stack(probs).mean(dim=0)
