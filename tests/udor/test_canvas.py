"""MultiObjectCanvas: exact object-removed ground truth, slots, offsets, determinism."""

from __future__ import annotations

import pytest
import torch

from tenfold.udor.canvas import MultiObjectCanvas, object_pools, slot_origins


def pools(num_k=3, size=14, per=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.rand(per, size, size, generator=g) * (torch.rand(per, size, size, generator=g)
                                                        > 0.5) for _ in range(num_k)]


def canvas(slots="fixed", max_offset=0, n=200, seed=0, **kw):
    return MultiObjectCanvas.generate(pools(), n, slots=slots, max_offset=max_offset,
                                      generator=torch.Generator().manual_seed(seed), **kw)


def patch(ds, c):
    """Object c alone on an empty canvas."""
    keep = torch.zeros_like(ds.present)
    keep[:, c] = True
    return ds.render(keep)


def test_removed_plus_object_patch_is_the_image_at_fixed_slots():
    ds = canvas()
    assert torch.equal(ds.render(ds.present), ds.images)
    for c in range(3):
        p = patch(ds, c)
        assert torch.equal(ds.removed[:, c] + p, ds.images)          # no overlap: sum exact
        absent = ~ds.present[:, c]
        assert torch.equal(ds.removed[absent, c], ds.images[absent])
        assert (p[absent] == 0).all()
        # the patch sits at the official slot
        top, left = slot_origins(3, 32, 14)[c].tolist()
        outside = p.clone()
        outside[..., top:top + 14, left:left + 14] = 0
        assert (outside == 0).all()


def test_offset_variant_moves_objects_and_keeps_exact_ground_truth():
    ds = canvas("offset", 4)
    base = slot_origins(3, 32, 14)
    shift = (ds.positions - base).abs()
    assert shift.max() <= 4 and shift.float().mean() > 1
    for c in range(3):
        assert torch.equal(torch.maximum(ds.removed[:, c], patch(ds, c)), ds.images)


def test_presence_counts_are_uniform_over_0_to_k():
    ds = canvas(n=4000, with_removed=False)
    counts = torch.bincount(ds.present.sum(1), minlength=4).float() / 4000
    assert torch.allclose(counts, torch.full((4,), 0.25), atol=0.03)
    assert ds.removed is None
    assert ((ds.instances >= 0) == ds.present).all()


def test_fixed_instance_groups():
    ds = canvas(fixed=(1, 3))
    assert ds.present[:, 1].all() and (ds.instances[:, 1] == 3).all()
    assert ds.present[:, 0].float().mean() < 0.9


def test_same_seed_same_canvas_other_seed_differs():
    a, b, c = canvas(seed=5), canvas(seed=5), canvas(seed=6)
    assert torch.equal(a.images, b.images) and torch.equal(a.removed, b.removed)
    assert not torch.equal(a.images, c.images)


def test_object_pools_resize_and_select_classes():
    images = torch.rand(30, 1, 28, 28)
    labels = torch.arange(30) % 3
    out = object_pools(images, labels, (2, 0))
    assert [p.shape for p in out] == [(10, 14, 14)] * 2
    ref = torch.nn.functional.avg_pool2d(images[labels == 2], 2).squeeze(1)
    assert torch.allclose(out[0], ref, atol=1e-6)          # 28 → 14 area = 2×2 mean


def test_bad_arguments():
    with pytest.raises(ValueError, match="max_offset"):
        canvas("fixed", 2)
    with pytest.raises(ValueError, match="slots"):
        canvas("grid")
    with pytest.raises(ValueError, match="no image of class"):
        object_pools(torch.rand(4, 8, 8), torch.zeros(4, dtype=torch.long), (0, 1))
    with pytest.raises(ValueError, match="1..4"):
        slot_origins(5, 32, 14)
