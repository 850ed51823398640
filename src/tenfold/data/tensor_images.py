"""Image datasets held as tensors, for recipes that train small models fast on any device.

* :class:`TensorImages` — train/test tensors with batch augmentation done on tensors (random crop
  after zero padding, horizontal flip), normalised with the training mean and std.
* :func:`decode_image_folder` — decode chosen ``ImageFolder`` samples once into a uint8 tensor.
* :func:`images32` — the grey digit sets (scikit-learn digits, MNIST) as 32×32 tensors in
  ``[-1, 1]`` (the GAN recipes' format).
* :func:`image_tensors` — digits, MNIST or CIFAR-10 as float tensors in ``[0, 1]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from tenfold.data.catalog import load_dataset
from tenfold.data.locate import cache_root

__all__ = ["TensorImages", "channel_stats", "decode_image_folder", "image_tensors", "images32"]


@dataclass
class TensorImages:
    """A dataset held as tensors, with batch augmentation done on tensors (on any device).

    Training crops are ``crop`` px taken from the stored images after zero padding by
    ``pad`` (and a horizontal flip if ``flip``); test images are centre-cropped.
    """

    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    num_classes: int
    crop: int
    pad: int
    flip: bool
    mean: torch.Tensor
    std: torch.Tensor
    test_boxes: torch.Tensor | None = None

    def to(self, device: torch.device | str) -> TensorImages:
        moved = {k: (v.to(device) if isinstance(v, torch.Tensor) and k != "test_boxes" else v)
                 for k, v in vars(self).items()}
        return TensorImages(**moved)

    def to_float(self, x: torch.Tensor) -> torch.Tensor:
        """uint8 or float images -> normalised float (per-channel train mean and std)."""
        x = x.float() / 255.0 if x.dtype == torch.uint8 else x.float()
        return (x - self.mean.view(1, -1, 1, 1)) / self.std.view(1, -1, 1, 1)

    def train_batch(self, idx: torch.Tensor, gen: torch.Generator) -> tuple[torch.Tensor, ...]:
        """Augmented float training batch for indices ``idx`` (random draws from ``gen``)."""
        x = self.train_x[idx.to(self.train_x.device)]
        if self.pad:
            x = F.pad(x, (self.pad,) * 4)
        b, size = x.shape[0], x.shape[-1]
        oy = torch.randint(0, size - self.crop + 1, (b,), generator=gen).to(x.device)
        ox = torch.randint(0, size - self.crop + 1, (b,), generator=gen).to(x.device)
        ar = torch.arange(self.crop, device=x.device)
        rows = (oy[:, None] + ar)[:, None, :, None]
        cols = (ox[:, None] + ar)[:, None, None, :]
        chans = torch.arange(x.shape[1], device=x.device)[None, :, None, None]
        x = x[torch.arange(b, device=x.device)[:, None, None, None], chans, rows, cols]
        if self.flip:
            flip = (torch.rand(b, generator=gen) < 0.5).to(x.device).view(-1, 1, 1, 1)
            x = torch.where(flip, x.flip(-1), x)
        return self.to_float(x), self.train_y[idx.to(self.train_y.device)]

    def test_batches(self, batch_size: int = 256):
        """Centre-cropped, normalised test batches ``(x, y)`` in order."""
        size = self.test_x.shape[-1]
        off = (size - self.crop) // 2
        for start in range(0, len(self.test_y), batch_size):
            x = self.test_x[start:start + batch_size, :, off:off + self.crop, off:off + self.crop]
            yield self.to_float(x), self.test_y[start:start + batch_size]


def decode_image_folder(folder, indices, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Decode the chosen ImageFolder samples once into a uint8 ``(N, 3, size, size)`` tensor."""
    from torchvision.io import ImageReadMode, decode_image
    from torchvision.transforms.v2.functional import resize

    images, labels = [], []
    for i in indices:
        path, label = folder.samples[int(i)]
        img = decode_image(path, mode=ImageReadMode.RGB)
        images.append(resize(img, [size, size], antialias=True))
        labels.append(label)
    return torch.stack(images), torch.tensor(labels, dtype=torch.long)


def channel_stats(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and std (floored at 1e-3) of uint8 or float images ``(N, C, H, W)``."""
    xf = x.float() / 255.0 if x.dtype == torch.uint8 else x.float()
    return xf.mean(dim=(0, 2, 3)), xf.std(dim=(0, 2, 3)).clamp_min(1e-3)


def images32(dataset: str) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """``{"train", "test"}`` → (images (N, 1, 32, 32) in [-1, 1], labels) for digits or MNIST."""
    splits = load_dataset(dataset)
    out = {}
    for name, ds in splits.items():
        if hasattr(ds, "tensors"):                      # scikit-learn digits, [0, 1], 8×8
            x, y = ds.tensors
        else:                                           # torchvision MNIST, uint8 28×28
            x, y = ds.data.unsqueeze(1).float() / 255.0, ds.targets.clone()
        x = F.interpolate(x.float(), size=(32, 32), mode="bilinear", align_corners=False)
        out[name] = (x.clamp(0, 1) * 2 - 1, y.long())
    return out


def image_tensors(dataset: str) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """``{"train": (x, y), "test": (x, y)}`` of digits, MNIST or CIFAR-10, x float in [0, 1]
    of shape (N, C, H, W). CIFAR-10 is decoded once from the mirror's JPEGs into a uint8 tensor
    kept in the cache (``cache_root()/netgraft/cifar10-<split>-uint8.pt``)."""
    if dataset == "digits":
        splits = load_dataset("digits")
        return {k: tuple(v.tensors) for k, v in splits.items()}
    if dataset == "mnist":
        splits = load_dataset("mnist")
        return {k: (v.data.float().div(255).unsqueeze(1), v.targets.clone())
                for k, v in splits.items()}
    if dataset != "cifar10":
        raise ValueError(f"image_tensors: expected digits, mnist or cifar10, got {dataset!r}")
    return {k: _cifar_split(k) for k in ("train", "test")}


def _cifar_split(split: str) -> tuple[torch.Tensor, torch.Tensor]:
    from tenfold.runtime.io import save_torch

    path = cache_root() / "netgraft" / f"cifar10-{split}-uint8.pt"
    if not path.exists():
        import numpy as np
        from PIL import Image

        folder = load_dataset("cifar10")[split]
        images = np.stack([np.asarray(Image.open(p).convert("RGB")) for p, _ in folder.samples])
        x = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()
        y = torch.tensor([t for _, t in folder.samples])
        save_torch(path, {"x": x, "y": y})
    blob = torch.load(path, weights_only=True)
    return blob["x"].float().div(255), blob["y"]
