"""UDOR networks: part operations (remove, swap), shapes, determinism of training."""

from __future__ import annotations

import pytest
import torch

from tenfold.udor import METHOD_WEIGHTS, UDOR, TrainSettings, UDORTrainer


def model(parts=3, u=2, seed=0):
    torch.manual_seed(seed)
    return UDOR(parts, u, ch=4).eval()


def test_remove_zeroes_exactly_one_part():
    m = model()
    z = torch.randn(5, 6)
    for k in range(3):
        r = m.remove_code(z, k)
        parts = m.parts(r)
        assert (parts[:, k] == 0).all()
        others = [j for j in range(3) if j != k]
        assert torch.equal(parts[:, others], m.parts(z)[:, others])
    # one part per row
    idx = torch.tensor([2, 0, 1, 1, 0])
    r = m.parts(m.remove_code(z, idx))
    for b, k in enumerate(idx.tolist()):
        assert (r[b, k] == 0).all() and (r[b].abs().sum(1) > 0).sum() == 2


def test_remove_decodes_the_masked_code():
    m = model()
    x = torch.rand(4, 1, 32, 32)
    z = m.encode(x)
    zk = z.clone()
    zk[:, 2:4] = 0                                    # part 1, u = 2
    assert torch.allclose(m.remove(x, 1), m.decode(zk))


def test_swap_equals_the_concatenation():
    m = model()
    z1, z2 = torch.randn(4, 6), torch.randn(4, 6)
    s = m.swap_code(z1, z2, [0, 2])
    assert torch.equal(s, torch.cat([z2[:, 0:2], z1[:, 2:4], z2[:, 4:6]], dim=1))
    x1, x2 = torch.rand(4, 1, 32, 32), torch.rand(4, 1, 32, 32)
    expected = m.decode(torch.cat([m.encode(x1)[:, :2], m.encode(x2)[:, 2:]], dim=1))
    assert torch.allclose(m.swap(x1, x2, [1, 2]), expected)


def test_shapes_and_errors():
    m = model()
    assert m.encode(torch.rand(2, 1, 32, 32)).shape == (2, 6)
    assert m.classify_parts(torch.randn(2, 6)).shape == (2, 3, 4)
    with pytest.raises(ValueError, match="expected \\(B, 1, 32, 32\\)"):
        m.encode(torch.rand(2, 1, 28, 28))
    with pytest.raises(ValueError, match="parts"):
        m.remove_code(torch.randn(2, 6), 3)
    with pytest.raises(ValueError, match="code"):
        m.decode(torch.randn(2, 5))


def test_sigmoid_output_is_the_official_tanh_rescaled():
    """``output="sigmoid"``: the same pre-activation as the linear decoder through σ, i.e. the
    official ``tanh`` output on [−1, 1] mapped to [0, 1]; bounded even for huge codes."""
    lin, sig = model(), model()
    sig.decoder.output = "sigmoid"
    z = 1e3 * torch.randn(6, 6)
    a = lin.decode(z)
    y = sig.decode(z)
    assert torch.equal(y, torch.sigmoid(a))
    assert torch.allclose(y, (torch.tanh(a / 2) + 1) / 2, atol=1e-6)
    assert y.min() >= 0 and y.max() <= 1 and (a.abs() > 1).any()
    assert UDOR(3, 1, ch=4, output="sigmoid").decoder.output == "sigmoid"
    with pytest.raises(ValueError, match="output"):
        UDOR(3, 1, ch=4, output="tanh")


def train(method, seed, iterations=4, fuzzy="official", cls_warmup=0, generator_step="joint"):
    g = torch.Generator().manual_seed(100)
    x = torch.rand(40, 1, 32, 32, generator=g)
    present = torch.rand(40, 3, generator=g) > 0.5
    m = model(3, 1, seed).train()
    settings = TrainSettings(iterations=iterations, batch_size=8, iters_per_step=2, critic_steps=2,
                             critic_ch=4, fuzzy=fuzzy, cls_warmup=cls_warmup,
                             generator_step=generator_step,
                             weights=METHOD_WEIGHTS[method])
    torch.manual_seed(seed)
    trainer = UDORTrainer(m, x, settings, torch.Generator().manual_seed(seed), present=present)
    history = []
    while not trainer.stopped:
        history.append(trainer.step())
    return trainer, history


@pytest.mark.parametrize("method", ["udor", "s-ae"])
def test_training_is_deterministic_per_seed(method):
    a, ha = train(method, 0)
    b, hb = train(method, 0)
    c, _ = train(method, 1)
    assert ha == hb and a.epoch == 2 and a.iteration == 4
    for (k, va), vb in zip(a.state_dict()["model"].items(), b.state_dict()["model"].values(),
                           strict=True):
        assert torch.equal(va, vb), k
    assert not torch.equal(a.model.encoder.net[0].weight, c.model.encoder.net[0].weight)


def test_methods_compute_their_terms_only():
    _, h = train("udor", 0, 2)
    assert set(h[0]) == {"rec", "rep", "zero", "cls", "gan", "critic_gap", "loss", "p_empty",
                         "p_own"}
    assert 0 < h[0]["p_empty"] < 1 and 0 < h[0]["p_own"] < 1
    _, h = train("ae", 0, 2)
    # the official weight 1 on images in [-1, 1] = 4 on images in [0, 1]: Σ(2a − 2b)² = 4 Σ(a − b)²
    assert set(h[0]) == {"rec", "loss"} and h[0]["loss"] == pytest.approx(4 * h[0]["rec"])
    _, h = train("s-ae", 0, 2)
    assert set(h[0]) == {"rec", "sup", "loss"}


def test_resume_from_state_dict_equals_uninterrupted():
    full, hist = train("udor", 3, 6)
    part, _ = train("udor", 3, 2)
    state = part.state_dict()
    again, _ = train("udor", 7, 0 + 6)        # other weights, then overwritten by the state
    again.load_state_dict(state)
    rest = []
    while not again.stopped:
        rest.append(again.step())
    assert rest == hist[1:]
    assert torch.equal(again.model.decoder.fc[0].weight, full.model.decoder.fc[0].weight)


def test_supervised_method_needs_labels():
    with pytest.raises(ValueError, match="present"):
        UDORTrainer(model(3, 1), torch.rand(4, 1, 32, 32),
                    TrainSettings(weights=METHOD_WEIGHTS["s-ae"]), torch.Generator())


def test_fuzzy_warmup_scales_only_the_fuzzy_term():
    """With ``cls_warmup = W`` iteration t weighs the fuzzy term by min(1, (t + 1) / W): the
    logged loss equals the weighted sum of the logged terms with that factor."""
    w = METHOD_WEIGHTS["udor-nogan"]
    trainer, _ = train("udor-nogan", 0, 1, cls_warmup=4)      # iteration 0 done
    assert [trainer.cls_scale(t) for t in (0, 1, 3, 10)] == [0.25, 0.5, 1.0, 1.0]
    for t in range(1, 6):
        stats = trainer.iterate()
        scale = min(1.0, (t + 1) / 4)
        expected = (w.rec * stats["rec"] + w.rep * stats["rep"] + w.zero * stats["zero"]
                    + w.cls * scale * stats["cls"])
        assert stats["loss"] == pytest.approx(expected, rel=1e-5)
    plain, _ = train("udor-nogan", 0, 1)
    assert plain.cls_scale(0) == 1.0
    with pytest.raises(ValueError, match="cls_warmup"):
        TrainSettings(cls_warmup=-1)


def test_decoder_only_generator_step():
    """``generator_step="decoder"`` (official): the auto-encoder loss has no GAN term, and the
    generator update changes the decoder only (encoder, classifier and critic untouched)."""
    w = METHOD_WEIGHTS["udor"]
    trainer, hist = train("udor", 0, 2, generator_step="decoder")
    s = hist[0]
    assert {"gan", "critic_gap"} <= set(s)
    assert s["loss"] == pytest.approx(w.rec * s["rec"] + w.rep * s["rep"] + w.zero * s["zero"]
                                      + w.cls * s["cls"], rel=1e-5)
    m = trainer.model
    before = {n: p.detach().clone() for n, p in m.named_parameters()}
    critic = [p.detach().clone() for p in trainer.critic.parameters()]
    x = trainer.images[:8]
    g = trainer.generator_update(x, torch.zeros(8, dtype=torch.long))
    assert g == pytest.approx(float(-trainer.critic(m.remove(x, 0)).mean().detach()), abs=1.0)
    for n, p in m.named_parameters():
        assert torch.equal(p, before[n]) != n.startswith("decoder."), n
    assert all(torch.equal(a, b) for a, b in zip(critic, trainer.critic.parameters(),
                                                  strict=True))
    _, h1 = train("udor", 0, 1, generator_step="decoder")     # one iteration: same start
    joint, hj = train("udor", 0, 1)
    assert hj[0]["loss"] == pytest.approx(h1[0]["loss"] + w.gan * hj[0]["gan"], rel=1e-5)
    state = trainer.state_dict()
    assert "opt_gen" in state and "opt_gen" not in joint.state_dict()
