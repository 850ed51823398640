"""The cheap learned rule: its limits are the gradient and guided backprop, the in-place path
(attribute) equals the recorded one (fit), and it trains through the second-order backward."""

from __future__ import annotations

import pytest
import torch

from tenfold.augment import SmallResNet
from tenfold.explain import LearnedPropagation, LogisticRule, make_rule

captum_attr = pytest.importorskip("captum.attr")


def _model():
    torch.manual_seed(0)
    model = SmallResNet(5, (4, 8), in_channels=1).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def _rule(a: float, b: float, gate: float, bias: float) -> LogisticRule:
    rule = LogisticRule()
    with torch.no_grad():
        rule.weight.copy_(torch.tensor([a, b]))
        rule.gate.fill_(gate)
        rule.bias.fill_(bias)
    return rule


def test_limits_are_the_gradient_and_guided_backprop():
    model = _model()
    x = torch.randn(3, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    target = torch.tensor([0, 3, 4])
    grad = LearnedPropagation(model, "gradient").attribute(x, target)
    near_one = LearnedPropagation(model, _rule(0, 0, 0, 40.0)).attribute(x, target)
    torch.testing.assert_close(near_one, grad, atol=1e-6, rtol=1e-5)
    # r = sigmoid(100 [g > 0] - 50) is [g > 0] up to e^-50: guided backprop
    guided = LearnedPropagation(model, _rule(0, 0, 100.0, -50.0)).attribute(x, target)
    with pytest.warns(UserWarning):
        ref = captum_attr.GuidedBackprop(model).attribute(x, target=target)
    torch.testing.assert_close(guided, ref, atol=1e-6, rtol=1e-5)
    assert not torch.allclose(guided, grad, atol=1e-4)


def test_in_place_path_equals_the_recorded_one_and_the_formula():
    rule = _rule(0.7, -1.3, 0.9, 0.2)
    x = torch.randn(2, 3, 5, 5, generator=torch.Generator().manual_seed(1))
    g = torch.randn(2, 3, 5, 5, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        fast = rule(x, g)
    slow = rule(x, g.clone().requires_grad_(True))
    xs = x / x.flatten(1).amax(1).view(-1, 1, 1, 1)
    gs = g / g.abs().flatten(1).amax(1).view(-1, 1, 1, 1)
    ref = g * (x > 0) * torch.sigmoid(0.7 * xs - 1.3 * gs + 0.9 * (g > 0) + 0.2)
    torch.testing.assert_close(fast, ref)
    torch.testing.assert_close(slow.detach(), ref)
    with pytest.raises(ValueError, match="batched"):
        rule(torch.randn(4), torch.randn(4))


def test_fit_gives_every_parameter_a_gradient_and_passes_gradcheck(rule_gradcheck):
    model = _model().double()
    x = torch.rand(2, 1, 8, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    rule = LogisticRule(init_bias=0.5, init_gate=0.3,
                        generator=torch.Generator().manual_seed(4)).double()
    expl = LearnedPropagation(model, rule)
    expl.fit_step(x, torch.optim.SGD(rule.parameters(), lr=0.0))
    for name, p in rule.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0, \
            name
    assert rule_gradcheck(expl, rule, x)


def test_make_rule_names():
    assert isinstance(make_rule("learned"), LogisticRule)
    assert type(make_rule("mlp")).__name__ == "ElementwiseRule"
    with pytest.raises(ValueError, match="mlp"):
        make_rule("lrp")
