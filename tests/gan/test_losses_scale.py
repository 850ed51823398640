"""Known-answer γ ratios, scale_grad, the hook pitfall, DFAD gradient signs, Fréchet distance."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from tenfold.gan import (
    CustomLoss,
    DataFreeDistillation,
    GradientReversal,
    Hinge,
    LeastSquares,
    Minimax,
    NonSaturating,
    Wasserstein,
    dfad_one_stage_backward,
    l1_discrepancy,
    scale_grad,
)
from tenfold.gan.metrics import class_coverage, frechet_distance
from tenfold.gan.models import DFADGenerator, LeNet5

P = torch.tensor([-3.0, -0.7, -0.2, 0.3, 1.1, 2.5])


@pytest.mark.parametrize("loss,expected", [
    (NonSaturating(), -torch.exp(-P)),
    (LeastSquares(), (P - 1) / P),
    (Minimax(), -torch.ones_like(P)),
    (Wasserstein(), -torch.ones_like(P)),
    (Hinge(), torch.where(P > -1, -1.0, -math.inf)),
])
def test_gamma_known_answers_and_autograd_ratio(loss, expected):
    torch.testing.assert_close(loss.gamma(P), expected)
    auto = CustomLoss(loss.d_real, loss.d_fake, loss.g)
    active = P > -1
    torch.testing.assert_close(auto.gamma(P)[active], expected[active], rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(loss.d_fake_grad(P), auto.d_fake_grad(P))


def test_symmetric_flags():
    assert Minimax().symmetric and Wasserstein().symmetric
    assert not any(x.symmetric for x in (NonSaturating(), LeastSquares(), Hinge()))
    for loss in (Minimax(), Wasserstein()):  # ℓ_g = −ℓ_f up to a constant
        torch.testing.assert_close(loss.g(P) + loss.d_fake(P), torch.zeros_like(P))


def test_gamma_is_finite_for_extreme_logits():
    p = torch.tensor([-200.0, -90.0, -20.0, 0.0, 50.0])
    gamma, usable = NonSaturating().gamma_mask(p)
    assert torch.isfinite(NonSaturating().gamma(p)).all()
    assert usable.tolist() == [False, False, False, True, True]
    assert torch.isfinite(gamma).all()
    _, usable_ls = LeastSquares().gamma_mask(torch.tensor([0.0, 1e-9, 0.5]))
    assert usable_ls.tolist() == [False, False, True]


def test_scale_grad_per_sample_and_identity_forward():
    x = torch.randn(4, 3, requires_grad=True)
    s = torch.empty(4)
    y = scale_grad(x, s)
    assert torch.equal(y, x)
    s.copy_(torch.tensor([1.0, -1.0, 2.0, 0.0]))  # filled after the forward
    (y * torch.arange(3.0)).sum().backward()
    torch.testing.assert_close(x.grad, s[:, None] * torch.arange(3.0).expand(4, 3))
    x.grad = None
    GradientReversal(0.5)(x).sum().backward()
    torch.testing.assert_close(x.grad, torch.full((4, 3), -0.5))
    with pytest.raises(ValueError, match="shape"):
        scale_grad(x, torch.ones(3))


def test_module_backward_hook_does_not_reverse_parameter_grads():
    """Why scale_grad is an autograd function: a module hook only rewrites grad wrt inputs."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh())
    z = torch.randn(5, 3, requires_grad=True)
    net(z).sum().backward()
    reference = net[0].weight.grad.clone()
    net.zero_grad()
    net.register_full_backward_hook(lambda m, gi, go: tuple(-g for g in gi))
    net(z).sum().backward()
    torch.testing.assert_close(net[0].weight.grad, reference)  # NOT reversed
    net.zero_grad()
    scale_grad(torch.nn.Sequential(*net)(z), -1.0).sum().backward()
    torch.testing.assert_close(net[0].weight.grad, -reference)


def _dfad_nets():
    torch.manual_seed(0)
    return LeNet5(), LeNet5(width=0.5), DFADGenerator(zdim=8, ch=8)


def test_dfad_one_stage_gradient_signs():
    teacher, student, gen = _dfad_nets()
    teacher.eval()
    for p in teacher.parameters():
        p.requires_grad_(False)
    z = torch.randn(6, 8)
    state = {k: v.clone() for k, v in gen.state_dict().items()}
    fake = gen(z)
    loss = l1_discrepancy(student(fake), teacher(fake))
    ref_s = torch.autograd.grad(loss, list(student.parameters()), retain_graph=True)
    ref_g = torch.autograd.grad(loss, list(gen.parameters()))
    gen.load_state_dict(state)
    dfad_one_stage_backward(teacher, student, gen, z)
    for p, r in zip(student.parameters(), ref_s, strict=True):
        torch.testing.assert_close(p.grad, r)
    for p, r in zip(gen.parameters(), ref_g, strict=True):
        torch.testing.assert_close(p.grad, -r)
    assert all(p.grad is None for p in teacher.parameters())
    assert sum(float(r.abs().sum()) for r in ref_g) > 0


@pytest.mark.parametrize("mode", ["one-stage", "two-stage"])
def test_dfad_iteration_counts_and_freezes_teacher(mode):
    teacher, student, gen = _dfad_nets()
    t0 = [p.clone() for p in teacher.parameters()]
    calls = {"student": 0, "gen": 0}
    student.register_forward_hook(lambda *a: calls.__setitem__("student", calls["student"] + 1))
    gen.register_forward_hook(lambda *a: calls.__setitem__("gen", calls["gen"] + 1))
    rng = torch.Generator().manual_seed(0)
    step = DataFreeDistillation(teacher, student, gen,
                                torch.optim.SGD(student.parameters(), lr=0.01),
                                torch.optim.Adam(gen.parameters(), lr=1e-3), mode=mode,
                                student_steps=3)
    stats = step(lambda: torch.randn(4, 8, generator=rng))
    assert calls == ({"student": 3, "gen": 3} if mode == "one-stage"
                     else {"student": 4, "gen": 4})
    assert float(stats["loss_s"]) > 0
    assert all(torch.equal(a, b) for a, b in zip(teacher.parameters(), t0, strict=True))
    with pytest.raises(ValueError, match="student_steps"):
        DataFreeDistillation(teacher, student, gen, step.opt_s, step.opt_g, student_steps=0)


def test_frechet_distance_known_answer():
    mu1, mu2 = np.zeros(3), np.array([1.0, 2.0, 0.0])
    c1, c2 = np.diag([1.0, 4.0, 9.0]), np.diag([4.0, 1.0, 9.0])
    # |Δμ|² + Σ (√a − √b)² for diagonal covariances
    expected = 5.0 + (1 - 2) ** 2 + (2 - 1) ** 2 + 0.0
    assert frechet_distance((mu1, c1), (mu2, c2)) == pytest.approx(expected, rel=1e-6)
    feats = torch.randn(500, 4, generator=torch.Generator().manual_seed(0))
    assert frechet_distance(feats, feats) == pytest.approx(0.0, abs=1e-6)
    assert frechet_distance(feats, feats + 3.0) == pytest.approx(36.0, rel=1e-6)
    with pytest.raises(ValueError, match="shape"):
        frechet_distance(torch.randn(1, 4), feats)


def test_class_coverage():
    cov = class_coverage(torch.tensor([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]), 10)
    assert cov["covered"] == 5 and cov["min_share"] == 0.0
    assert cov["entropy"] == pytest.approx(math.log(5))
