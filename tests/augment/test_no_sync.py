"""The mixing transforms never make the host wait for the accelerator, and SnapMix's label weights
equal brute-force box sums of the model's SPMs end to end.

A host sync is any op that reads device memory on the host or blocks on a copy: ``.item()`` /
``int(t)`` / ``bool(t)`` (``aten._local_scalar_dense``, ``is_nonzero``), device-to-host copies,
blocking host-to-device copies, and ops whose output size depends on device data (``nonzero``,
boolean-mask indexing, ``unique``...). The check runs on the ``meta`` device (tensors without
data: an accelerator stand-in available everywhere) and, when present, on CUDA. Random draws from
the CPU generator are host-only and allowed.
"""

from __future__ import annotations

import pytest
import torch
import torchvision
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

from tenfold.augment import (
    AsymmetricCutMix,
    CutMix,
    MixUp,
    SmallResNet,
    SnapMix,
    box_area,
    model_spm,
)

aten = torch.ops.aten
DATA_DEPENDENT = {aten.nonzero.default, aten.masked_select.default, aten._unique2.default,
                  aten.unique_consecutive.default, aten.unique_dim.default,
                  aten.repeat_interleave.Tensor, aten.is_nonzero.default, aten.equal.default,
                  aten._local_scalar_dense.default}
DEVICES = ["meta"] + (["cuda"] if torch.cuda.is_available() else [])


class HostSync(AssertionError):
    pass


class NoHostSync(TorchDispatchMode):
    """Raise :class:`HostSync` on the first op that would synchronise host and device."""

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        tensors = [a for a in tree_leaves((args, kwargs)) if isinstance(a, torch.Tensor)]
        on_device = any(t.device.type != "cpu" for t in tensors)
        if func in DATA_DEPENDENT and on_device:
            raise HostSync(f"{func} on a device tensor")
        if func is aten.index.Tensor and on_device and any(
                t is not None and t.dtype == torch.bool for t in args[1]):
            raise HostSync("boolean-mask indexing of a device tensor")
        if func is aten._to_copy.default:
            src, dst = args[0].device, kwargs.get("device", args[0].device)
            self._copy(src, torch.device(dst), kwargs.get("non_blocking", False))
        if func is aten.copy_.default:
            self._copy(args[1].device, args[0].device,
                       args[2] if len(args) > 2 else kwargs.get("non_blocking", False))
        return func(*args, **kwargs)

    @staticmethod
    def _copy(src: torch.device, dst: torch.device, non_blocking: bool) -> None:
        if src.type != "cpu" and dst.type == "cpu":
            raise HostSync(f"copy from {src} to the host")
        if src.type == "cpu" and dst.type != "cpu" and not non_blocking:
            raise HostSync(f"blocking copy from the host to {dst}")


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("sync", [
    lambda t: t.sum().item(), lambda t: int(t.max()), lambda t: bool(t.any()), lambda t: t.cpu(),
    lambda t: torch.ones(3).to(t.device), lambda t: t[t > 0], lambda t: t.nonzero(),
])
def test_the_recorder_catches_syncs(device, sync):
    t = torch.zeros(4, 5, device=device)
    with pytest.raises(HostSync), NoHostSync():
        sync(t)


def _mixers(classes):
    def g(seed):
        return torch.Generator().manual_seed(seed)

    return [SnapMix(classes, 5.0, 0.5, generator=g(0)),
            SnapMix(classes, 1.0, 1.0, same_class_boost=False, eval_cam=True, generator=g(1)),
            CutMix(classes, 1.0, 0.5, generator=g(2)),
            AsymmetricCutMix(classes, 1.0, generator=g(3)),
            MixUp(classes, 1.0, 0.5, generator=g(4))]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("arch", ["resnet18", "small"])
def test_mixing_makes_no_host_sync(device, arch):
    classes = 5
    model = (torchvision.models.resnet18(num_classes=classes) if arch == "resnet18"
             else SmallResNet(classes, (4, 8), 3)).to(device).train()
    x = torch.randn(6, 3, 32, 32, device=device)
    y = torch.arange(6, device=device) % 3          # equal labels too: the boost path runs
    for mixer in _mixers(classes):
        with NoHostSync():
            for _ in range(6):                      # prob < 1: mixed and unmixed calls
                x_mix, targets = mixer(x, y, model)
        assert x_mix.device.type == targets.device.type == torch.device(device).type
        assert mixer.last_info.weight_a.device.type == torch.device(device).type


def test_snapmix_weights_equal_brute_force_sums_of_the_model_spm():
    torch.manual_seed(0)
    model = SmallResNet(4, (4, 8), 3).train()
    g = torch.Generator().manual_seed(7)
    x = torch.randn(5, 3, 16, 16, generator=g)
    y = torch.tensor([0, 1, 1, 2, 3])
    checked = 0
    for seed in range(8):
        snap = SnapMix(4, beta=1.0, eval_cam=True, generator=torch.Generator().manual_seed(seed))
        _, targets = snap(x, y, model)
        info = snap.last_info
        if not info.mixed:
            continue
        spm = model_spm(model, x, y, eval_mode=True).double()
        for i in range(5):
            j = int(info.perm[i])
            mass = [0.0, 0.0]
            for which, (img, box) in enumerate(((i, info.box_a), (j, info.box_b))):
                top, left, bottom, right = box
                for u in range(16):
                    for v in range(16):
                        if top <= u < bottom and left <= v < right:
                            mass[which] += float(spm[img, u, v])
            rho_a, rho_b = 1.0 - mass[0], mass[1]
            if y[i] == y[j]:
                rho_a = rho_b = rho_a + rho_b
            assert abs(float(info.weight_a[i]) - rho_a) < 1e-5
            assert abs(float(info.weight_b[i]) - rho_b) < 1e-5
            assert abs(float(targets[i].sum()) - rho_a - rho_b) < 1e-5
        checked += 1
        assert box_area(info.box_a) > 0
    assert checked >= 5
