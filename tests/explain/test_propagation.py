"""LearnedPropagation: installing, fixed rules against references, second-order training."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
import torchvision
from torch import nn

from tenfold.augment import SmallResNet
from tenfold.explain import (
    ElementwiseRule,
    FixedRule,
    FunctionalReLUError,
    LearnedPropagation,
    RuleReLU,
)

captum_attr = pytest.importorskip("captum.attr")


class SmallCNN(nn.Module):
    """Two conv-ReLU layers (one in-place), a re-used ReLU module, GAP and a linear head."""

    def __init__(self, classes: int = 4, channels: int = 2):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 6, 3, padding=1)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(6, 8, 3, padding=1)
        self.conv3 = nn.Conv2d(8, 8, 3, padding=1)
        self.shared = nn.ReLU()
        self.fc = nn.Linear(8, classes)

    def forward(self, x):
        x = self.shared(self.conv2(self.relu1(self.conv1(x))))
        x = self.shared(self.conv3(x))
        return self.fc(x.mean((2, 3)))


def _models():
    torch.manual_seed(0)
    small = SmallCNN().eval()
    resnet = torchvision.models.resnet18(weights=None, num_classes=5).eval()
    return {"small": (small, (2, 12, 12)), "resnet18": (resnet, (3, 32, 32))}


MODELS = _models()


def test_installing_keeps_logits_and_restores_modules_and_state():
    model, shape = MODELS["resnet18"]
    x = torch.randn(3, *shape)
    before_logits = model(x)
    before_state = {k: v.clone() for k, v in model.state_dict().items()}
    before_modules = dict(model.named_modules(remove_duplicate=False))
    expl = LearnedPropagation(model, ElementwiseRule(generator=torch.Generator().manual_seed(1)))
    with expl.installed():
        wrapped = [m for m in model.modules() if isinstance(m, RuleReLU)]
        assert wrapped and not any(type(m) is nn.ReLU for m in model.modules())
        assert torch.equal(model(x), before_logits)
        assert set(model.state_dict()) == set(before_state)
    after = dict(model.named_modules(remove_duplicate=False))
    assert after.keys() == before_modules.keys()
    assert all(after[k] is before_modules[k] for k in after)
    assert all(torch.equal(v, before_state[k]) for k, v in model.state_dict().items())
    assert all(not m._forward_hooks and not m._backward_hooks for m in model.modules())
    assert torch.equal(model(x), before_logits)


def test_modules_are_restored_after_an_error():
    model, shape = MODELS["small"]
    relu = model.relu1
    with pytest.raises(RuntimeError, match="boom"), LearnedPropagation(model).installed():
        raise RuntimeError("boom")
    assert model.relu1 is relu


def test_gradient_rule_equals_autograd():
    model, shape = MODELS["small"]
    x = torch.randn(3, *shape)
    target = torch.tensor([0, 2, 3])
    ours = LearnedPropagation(model, "gradient").attribute(x, target)
    xr = x.clone().requires_grad_(True)
    (ref,) = torch.autograd.grad(model(xr).gather(1, target.view(-1, 1)).sum(), xr)
    assert torch.equal(ours, ref)
    # target=None explains the predicted class
    pred = model(x).argmax(1)
    assert torch.equal(LearnedPropagation(model, "gradient").attribute(x),
                       LearnedPropagation(model, "gradient").attribute(x, pred))


@pytest.mark.parametrize("name", ["small", "resnet18"])
@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("rule,reference", [("guided", "GuidedBackprop"),
                                            ("deconvnet", "Deconvolution")])
def test_fixed_rules_equal_captum(name, batch, rule, reference):
    model, shape = MODELS[name]
    x = torch.randn(batch, *shape, generator=torch.Generator().manual_seed(batch))
    target = torch.arange(batch) % 4
    ours = LearnedPropagation(model, rule).attribute(x, target)
    with pytest.warns(UserWarning):
        ref = getattr(captum_attr, reference)(model).attribute(x, target=target)
    assert ours.shape == x.shape
    assert ours.abs().max() > 0
    torch.testing.assert_close(ours, ref, atol=1e-6, rtol=0)
    # the three rules really differ on this input
    grad = LearnedPropagation(model, "gradient").attribute(x, target)
    assert not torch.allclose(ours, grad, atol=1e-6)


def test_reduce_shapes():
    model, shape = MODELS["small"]
    x = torch.randn(2, *shape)
    expl = LearnedPropagation(model, "gradient")
    full = expl.attribute(x, 1)
    torch.testing.assert_close(expl.attribute(x, 1, reduce="abs_sum"),
                               full.abs().sum(1, keepdim=True))
    with pytest.raises(ValueError, match="reduce"):
        expl.attribute(x, 1, reduce="max")
    with pytest.raises(ValueError, match="target"):
        expl.attribute(x, torch.tensor([0, 1, 2]))


def _digits(n: int = 16) -> torch.Tensor:
    from tenfold.data import load_dataset

    return load_dataset("cluttered-digits", num_train=n, num_test=1, seed=0)["train"].images


def test_one_fit_step_gives_every_rule_parameter_a_gradient_and_leaves_the_model():
    torch.manual_seed(0)
    model = SmallResNet(10, (4, 8), in_channels=1).eval()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    rule = ElementwiseRule(generator=torch.Generator().manual_seed(0))
    expl = LearnedPropagation(model, rule)
    opt = torch.optim.SGD(rule.parameters(), lr=0.0)
    expl.fit_step(_digits(8), opt)
    for name, p in rule.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name
    assert all(p.grad is None for p in model.parameters())
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items())


def test_second_order_gradcheck_float64(rule_gradcheck):
    torch.manual_seed(0)
    model = SmallCNN(classes=3, channels=1).double().eval()
    rule = ElementwiseRule(hidden=3, init_bias=0.5,
                           generator=torch.Generator().manual_seed(2)).double()
    expl = LearnedPropagation(model, rule)
    x = torch.rand(2, 1, 6, 6, dtype=torch.float64)
    assert rule_gradcheck(expl, rule, x)


def test_fitting_lowers_the_objective():
    torch.manual_seed(0)
    model = SmallResNet(10, (4, 8), in_channels=1).eval()
    x = _digits(16)
    expl = LearnedPropagation(model, ElementwiseRule(generator=torch.Generator().manual_seed(0)))
    before = expl.objective(x)[1]["loss"]
    history = expl.fit([x], steps=25, lr=0.05)
    after = expl.objective(x)[1]["loss"]
    assert len(history) == 25
    assert after < before - 1e-3


def test_fixed_rules_cannot_be_fitted():
    model, shape = MODELS["small"]
    with pytest.raises(ValueError, match="no trainable"):
        LearnedPropagation(model, FixedRule("guided")).fit([torch.randn(2, *shape)], steps=1)


class FunctionalNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.act = nn.ReLU()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        x = self.act(self.conv(x))
        return self.fc(F.relu(x).mean((2, 3)))


def test_functional_relu_gets_a_clear_error():
    expl = LearnedPropagation(FunctionalNet(), "guided")
    with pytest.raises(FunctionalReLUError, match=r"relu.*test_propagation\.py"):
        expl.attribute(torch.randn(2, 1, 6, 6))


def test_models_without_relu_modules_or_with_other_activations_are_refused():
    with pytest.raises(ValueError, match="no nn.ReLU"):
        LearnedPropagation(nn.Sequential(nn.Flatten(), nn.Linear(4, 2))).attribute(
            torch.randn(2, 4))
    gelu = nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 3), nn.GELU(),
                         nn.Linear(3, 2))
    with pytest.raises(ValueError, match="GELU"):
        LearnedPropagation(gelu).attribute(torch.randn(2, 4))
