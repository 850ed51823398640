"""One-stage GAN step: gradient equivalence with the simultaneous two-stage reference, negative
controls, fallback, optimiser-step equality, call counting, determinism."""

from __future__ import annotations

import warnings

import pytest
import torch

from tenfold.gan import (
    Hinge,
    LeastSquares,
    NonSaturating,
    OneStageGAN,
    check_sample_independence,
    get_loss,
    one_stage_backward,
    two_stage_reference_backward,
)
from tenfold.gan.models import DCGANDiscriminator32, DCGANGenerator32

ZDIM = 16



def make_pair(norm: str = "group", seed: int = 0, ch: int = 8):
    torch.manual_seed(seed)
    return DCGANGenerator32(zdim=ZDIM, ch=ch), DCGANDiscriminator32(ch=ch, norm=norm)


LOSS_NAMES = ["minimax", "nonsaturating", "wasserstein", "leastsquares", "hinge"]


def _grads(module):
    return torch.cat([p.grad.flatten() if p.grad is not None else torch.zeros(p.numel())
                      for p in module.parameters()])


def _rel(a, b):
    return float((a - b).norm() / b.norm().clamp(min=1e-30))


def _compare(G, D, loss, real, z, check=True, **kw):
    """(rel. error of D grads, rel. error of G grads, one-stage stats)."""
    G.zero_grad(set_to_none=True)
    D.zero_grad(set_to_none=True)
    g_state = {k: v.clone() for k, v in G.state_dict().items()}
    two_stage_reference_backward(G, D, loss, real, z, **kw)
    ref_d, ref_g = _grads(D), _grads(G)
    G.load_state_dict(g_state)  # same BatchNorm running statistics for the second forward
    G.zero_grad(set_to_none=True)
    D.zero_grad(set_to_none=True)
    stats = one_stage_backward(G, D, loss, real, z, check_independence=check, **kw)
    return _rel(_grads(D), ref_d), _rel(_grads(G), ref_g), stats


@pytest.mark.parametrize("norm", ["group", "none"])
@pytest.mark.parametrize("name", LOSS_NAMES)
def test_gradients_equal_simultaneous_two_stage(name, norm, batch):
    G, D = make_pair(norm)
    real, z = batch
    err_d, err_g, stats = _compare(G, D, get_loss(name), real, z)
    assert err_d < 1e-5
    assert err_g < 1e-5
    assert int(stats["n_fallback"]) == 0


def test_batchnorm_discriminator_symmetric_still_exact(batch):
    G, D = make_pair("batch")
    real, z = batch
    err_d, err_g, _ = _compare(G, D, get_loss("minimax"), real, z)
    assert err_d < 1e-5 and err_g < 1e-5


@pytest.mark.parametrize("name", ["nonsaturating", "leastsquares"])
def test_batchnorm_discriminator_asymmetric_is_wrong_and_detected(name, batch):
    G, D = make_pair("batch")
    real, z = batch
    _, err_g, _ = _compare(G, D, get_loss(name), real, z, check=False)
    assert err_g > 1e-3  # the identity really fails: this is what the check protects against
    ok, change = check_sample_independence(D, torch.randn(6, 1, 32, 32))
    assert not ok and change > 1e-4
    opt_g = torch.optim.SGD(G.parameters(), lr=0.1)
    opt_d = torch.optim.SGD(D.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="independently"):
        OneStageGAN(G, D, opt_g, opt_d, loss=name)(real, z)
    with pytest.warns(UserWarning, match="independently"):
        OneStageGAN(G, D, opt_g, opt_d, loss=name, on_dependent="warn")(real, z)


def test_independence_probe_passes_and_leaves_no_trace():
    _, d_group = make_pair("group")
    assert check_sample_independence(d_group, torch.randn(5, 1, 32, 32))[0]
    _, d_bn = make_pair("batch")
    before = {k: v.clone() for k, v in d_bn.state_dict().items()}
    check_sample_independence(d_bn, torch.randn(5, 1, 32, 32))
    for k, v in d_bn.state_dict().items():
        assert torch.equal(v, before[k]), k
    d_bn.eval()
    assert check_sample_independence(d_bn, torch.randn(5, 1, 32, 32))[0]
    with pytest.raises(ValueError, match="at least 2"):
        check_sample_independence(d_group, torch.randn(1, 1, 32, 32))


def _shift_logits(G, D, z, center: float, spread: float):
    """Rescale D's last layer so its logits on G(z) have median ``center``."""
    last = D.net[-1]
    with torch.no_grad():
        last.weight.mul_(spread)
        p = D(G(z))
        last.bias.add_(center - p.median())


def test_hinge_inactive_samples_fallback_exact_and_finite(batch):
    G, D = make_pair("group")
    real, z = batch
    _shift_logits(G, D, z, center=-1.0, spread=5.0)
    with torch.no_grad():
        p = D(G(z))
    inactive = int((p <= -1).sum())
    assert 0 < inactive < len(p), p
    assert torch.isinf(Hinge().gamma(p)).any()  # the naive ratio would poison the gradient
    err_d, err_g, stats = _compare(G, D, Hinge(), real, z)
    assert int(stats["n_fallback"]) == inactive
    assert torch.isfinite(_grads(G)).all() and torch.isfinite(_grads(D)).all()
    assert err_d < 1e-5 and err_g < 1e-5


@pytest.mark.parametrize("loss,center", [(NonSaturating(), -40.0), (LeastSquares(), 0.0)])
def test_extreme_gamma_falls_back_exactly(loss, center, batch):
    G, D = make_pair("group")
    real, z = batch
    _shift_logits(G, D, z, center=center, spread=1e-9 if center == 0.0 else 1.0)
    err_d, err_g, stats = _compare(G, D, loss, real, z)
    assert int(stats["n_fallback"]) == len(z)
    assert err_d < 1e-5 and err_g < 1e-5


def test_gradient_penalty_on_detached_fakes(batch):
    def gp(D, real, fake):
        eps = torch.rand(real.shape[0], 1, 1, 1, generator=torch.Generator().manual_seed(0))
        x = (eps * real + (1 - eps) * fake).requires_grad_(True)
        (g,) = torch.autograd.grad(D(x).sum(), x, create_graph=True)
        return 10.0 * ((g.flatten(1).norm(dim=1) - 1) ** 2).mean()

    G, D = make_pair("none")
    real, z = batch
    err_d, err_g, _ = _compare(G, D, get_loss("wasserstein"), real, z, d_penalty=gp)
    assert err_d < 1e-5 and err_g < 1e-5


def test_patch_logits_symmetric_ok_asymmetric_refused(batch):
    G, _ = make_pair()
    patch_d = torch.nn.Conv2d(1, 1, 4, 4)
    real, z = batch
    one_stage_backward(G, patch_d, "wasserstein", real, z)
    assert patch_d.weight.grad is not None
    with pytest.raises(ValueError, match="ONE discriminator logit"):
        one_stage_backward(G, patch_d, "nonsaturating", real, z)


def _sgd_pair(G, D, lr=0.05):
    return torch.optim.SGD(G.parameters(), lr=lr), torch.optim.SGD(D.parameters(), lr=lr)


@pytest.mark.parametrize("name", ["nonsaturating", "minimax", "hinge"])
def test_one_optimiser_step_equals_simultaneous_step(name, batch):
    real, z = batch
    G1, D1 = make_pair()
    G2, D2 = make_pair()
    OneStageGAN(G1, D1, *_sgd_pair(G1, D1), loss=name)(real, z)
    opt_g, opt_d = _sgd_pair(G2, D2)
    two_stage_reference_backward(G2, D2, name, real, z)
    opt_g.step()
    opt_d.step()
    for a, b in zip(list(G1.parameters()) + list(D1.parameters()),
                    list(G2.parameters()) + list(D2.parameters()), strict=True):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=0)
    for a, b in zip(G1.buffers(), G2.buffers(), strict=True):  # the probe left no trace
        torch.testing.assert_close(a, b, atol=1e-6, rtol=0)
    # the step changed something (an identity step would also pass the comparison above)
    G0, _ = make_pair()
    assert not torch.allclose(next(G0.parameters()), next(G1.parameters()))


class _Counter:
    def __init__(self, module):
        self.forward = self.backward = 0
        module.register_forward_hook(self._hook)

    def _hook(self, module, inputs, output):
        self.forward += 1
        if output.requires_grad:
            output.register_hook(self._bw)

    def _bw(self, grad):
        self.backward += 1


@pytest.mark.parametrize("mode,expected", [("one-stage", (1, 1, 2)), ("two-stage", (2, 1, 3))])
def test_call_counts(mode, expected, batch):
    G, D = make_pair()
    real, z = batch
    step = OneStageGAN(G, D, *_sgd_pair(G, D), loss="minimax", mode=mode)
    cg, cd = _Counter(G), _Counter(D)
    step(real, z, z2=torch.randn_like(z))
    assert (cg.forward, cg.backward, cd.forward) == expected


def test_two_stage_alternating_updates_both(batch):
    G, D = make_pair()
    g0 = [p.clone() for p in G.parameters()]
    d0 = [p.clone() for p in D.parameters()]
    step = OneStageGAN(G, D, *_sgd_pair(G, D), loss="nonsaturating", mode="two-stage",
                       noise_generator=torch.Generator().manual_seed(1))
    stats = step(*batch)
    assert torch.isfinite(stats["loss_d"]) and torch.isfinite(stats["loss_g"])
    assert any(not torch.equal(a, b) for a, b in zip(G.parameters(), g0, strict=True))
    assert any(not torch.equal(a, b) for a, b in zip(D.parameters(), d0, strict=True))
    assert all(p.grad is None for p in D.parameters())


@pytest.mark.parametrize("mode", ["one-stage", "two-stage"])
def test_deterministic(mode, batch):
    def run():
        G, D = make_pair(seed=3)
        opt_g = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
        step = OneStageGAN(G, D, opt_g, opt_d, loss="nonsaturating", mode=mode,
                           noise_generator=torch.Generator().manual_seed(5))
        gen = torch.Generator().manual_seed(9)
        for _ in range(5):
            step(batch[0], torch.randn(8, ZDIM, generator=gen))
        params = list(G.parameters()) + list(D.parameters())
        return torch.cat([p.detach().flatten() for p in params])

    assert torch.equal(run(), run())


def test_bad_arguments():
    G, D = make_pair()
    with pytest.raises(ValueError, match="mode"):
        OneStageGAN(G, D, *_sgd_pair(G, D), mode="three-stage")
    with pytest.raises(ValueError, match="unknown GAN loss"):
        OneStageGAN(G, D, *_sgd_pair(G, D), loss="wasserstein-ish")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        OneStageGAN(G, D, *_sgd_pair(G, D), check_independence="never")


@pytest.mark.parametrize("name", ["hinge", "nonsaturating"])
def test_one_stage_backward_checks_independence_like_onestagegan(name, batch):
    G, D = make_pair("batch")
    real, z = batch
    with pytest.raises(ValueError, match="independently"):
        one_stage_backward(G, D, get_loss(name), real, z)
    assert all(p.grad is None for p in G.parameters())         # refused before any backward
    with pytest.warns(UserWarning, match="independently"):
        one_stage_backward(G, D, name, real, z, on_dependent="warn")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        one_stage_backward(G, D, name, real, z, check_independence=False)
        G2, D2 = make_pair("group")
        one_stage_backward(G2, D2, name, real, z)                 # independent D: no complaint
        one_stage_backward(G, D, "minimax", real, z)             # symmetric loss: no check needed
    with pytest.raises(ValueError, match="on_dependent"):
        one_stage_backward(G2, D2, name, real, z, on_dependent="ignore")


def test_independence_probe_leaves_the_global_random_state_alone(batch):
    _, d_drop = make_pair("group")
    d_drop.net.insert(1, torch.nn.Dropout(0.5))                 # a D that draws random numbers
    x = torch.randn(4, 1, 32, 32)
    state = torch.get_rng_state()
    assert check_sample_independence(d_drop, x)[0]
    assert torch.equal(torch.get_rng_state(), state)
    real, z = batch
    draws = {}
    for check in ("first", "never"):
        G, D = make_pair("group")
        step = OneStageGAN(G, D, torch.optim.SGD(G.parameters(), lr=0.1),
                           torch.optim.SGD(D.parameters(), lr=0.1), loss="nonsaturating",
                           check_independence=check)
        torch.manual_seed(3)
        step(real, z)
        draws[check] = torch.rand(1)
    assert torch.equal(draws["first"], draws["never"])
