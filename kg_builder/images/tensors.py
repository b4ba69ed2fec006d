"""Image pixels as model input."""

from __future__ import annotations

import cv2
import numpy as np
import torch


def image_tensor(pixels: np.ndarray, size: int) -> torch.Tensor:
    """A BGR image as a 3 x size x size RGB float tensor in [0, 1] (aspect ratio not kept: panels are wide)."""
    small = cv2.resize(pixels, (size, size), interpolation=cv2.INTER_AREA)
    return torch.from_numpy(small[:, :, ::-1].copy()).permute(2, 0, 1).float() / 255.0
