"""The objective's optional terms: the smoothed mask and the class-contrastive overlap, against
hand computations, with a float64 second-order gradcheck through both."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from tenfold.augment import SmallResNet
from tenfold.explain import LearnedPropagation, LogisticRule


def _model(dtype=torch.float32):
    torch.manual_seed(0)
    model = SmallResNet(5, (4, 8), in_channels=1).eval().to(dtype)
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def _rule(dtype=torch.float32) -> LogisticRule:
    return LogisticRule(init_bias=0.5, init_gate=0.3,
                        generator=torch.Generator().manual_seed(4)).to(dtype)


def _box_average(s: torch.Tensor, k: int) -> torch.Tensor:
    """Mean over the k x k window inside the image, pixel by pixel (the reference)."""
    out = torch.empty_like(s)
    h, w = s.shape[-2:]
    r = k // 2
    for i in range(h):
        for j in range(w):
            win = s[..., max(0, i - r):i + r + 1, max(0, j - r):j + r + 1]
            out[..., i, j] = win.mean((-2, -1))
    return out


def test_smoothed_mask_is_the_box_average_of_the_map_over_its_maximum():
    model = _model()
    x = torch.rand(3, 1, 10, 10, generator=torch.Generator().manual_seed(1))
    rule = _rule()
    s = LearnedPropagation(model, rule).attribute(x, reduce="abs_sum")
    for k in (3, 5):
        m = LearnedPropagation(model, rule, mask_smoothing=k).mask(x)
        ref = _box_average(s, k)
        ref = ref / ref.flatten(1).amax(1).view(-1, 1, 1, 1)
        torch.testing.assert_close(m, ref)
        assert not torch.allclose(m, s / s.flatten(1).amax(1).view(-1, 1, 1, 1), atol=1e-3)
    # a window of 1 is no smoothing
    torch.testing.assert_close(LearnedPropagation(model, rule, mask_smoothing=1).mask(x),
                               LearnedPropagation(model, rule).mask(x))


def test_contrastive_term_is_the_overlap_with_the_runner_up_mask():
    model = _model()
    x = torch.rand(4, 1, 10, 10, generator=torch.Generator().manual_seed(2))
    rule = _rule()
    plain = LearnedPropagation(model, rule, mask_smoothing=3)
    expl = LearnedPropagation(model, rule, mask_smoothing=3, contrast_weight=0.7)
    logits = model(x)
    first = logits.argmax(1)
    second = logits.scatter(1, first.view(-1, 1), float("-inf")).argmax(1)
    m1, m2 = plain.mask(x, first), plain.mask(x, second)
    overlap = ((m1 * m2).flatten(1).sum(1) / m1.flatten(1).sum(1)).mean()
    _, base = plain.objective(x)
    _, parts = expl.objective(x)
    assert "overlap" not in base
    assert parts["overlap"] == pytest.approx(float(overlap), rel=1e-5)
    assert parts["loss"] == pytest.approx(base["loss"] + 0.7 * float(overlap), rel=1e-5)
    assert 0.0 < parts["overlap"] <= 1.0


def test_second_order_gradcheck_through_both_terms(rule_gradcheck):
    model = _model(torch.float64)
    x = torch.rand(2, 1, 8, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    rule = _rule(torch.float64)
    expl = LearnedPropagation(model, rule, mask_smoothing=3, contrast_weight=0.5)
    expl.fit_step(x, torch.optim.SGD(rule.parameters(), lr=0.0))
    for name, p in rule.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0, \
            name
    assert rule_gradcheck(expl, rule, x)


@pytest.mark.parametrize("kwargs,match", [
    ({"mask_smoothing": 4}, "mask_smoothing"),
    ({"mask_smoothing": -1}, "mask_smoothing"),
    ({"mask_smoothing": 2.0}, "mask_smoothing"),
    ({"contrast_weight": -0.1}, "contrast_weight"),
    ({"contrast_weight": float("nan")}, "contrast_weight"),
])
def test_bad_objective_settings_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LearnedPropagation(_model(), "learned", **kwargs)


def test_smoothing_needs_image_inputs():
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(6, 4), torch.nn.ReLU(),
                                torch.nn.Linear(4, 3))
    expl = LearnedPropagation(model, "learned", mask_smoothing=3)
    with pytest.raises(ValueError, match="image inputs"):
        expl.objective(torch.randn(2, 6))


def test_avg_pool_reference_agrees_at_the_border():
    # the reference itself: a corner pixel averages only the 2 x 2 pixels inside the image
    s = torch.arange(16.0).view(1, 1, 4, 4)
    assert _box_average(s, 3)[0, 0, 0, 0] == pytest.approx((0 + 1 + 4 + 5) / 4)
    torch.testing.assert_close(_box_average(s, 3),
                               F.avg_pool2d(s, 3, 1, 1, count_include_pad=False))
