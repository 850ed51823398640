"""Impressions: batch independence, frozen template, set impression vs BN running statistics,
template fingerprints, degenerate 1×1 BN inputs."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from tenfold.impression import Impression, TemplateNetwork, decode, impression_loss


def test_impression_shapes_and_hand_computed_first_layer(
        make_net, make_images):
    net = make_net()
    template = TemplateNetwork(net)
    x = make_images(5)
    imp = template.encode(x)
    assert len(imp) == 5 and imp.channels == (4, 6)
    a = net[0](x)                                            # input of the first BN layer
    torch.testing.assert_close(imp.means[0], a.mean((2, 3)))
    torch.testing.assert_close(imp.stds[0], (a.var((2, 3), unbiased=False) + 1e-5).sqrt())
    assert imp.vector().shape == (5, 2 * (4 + 6))


def test_an_image_alone_has_the_impression_it_has_inside_any_batch(
        make_net, make_images):
    template = TemplateNetwork(make_net())
    x = make_images(9)
    alone = template.encode(x[4:5])
    for batch in (template.encode(x), template.encode(x, batch_size=2),
                  template.encode(torch.cat([make_images(3, seed=7), x]))[3:]):
        one = batch[4]
        for a, b in zip(alone.means + alone.stds, one.means + one.stds, strict=True):
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_encode_and_decode_change_neither_parameters_nor_bn_buffers_nor_the_mode(
        make_net, make_images):
    net = make_net()
    template = TemplateNetwork(net)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    net.train()                                  # a user flips the mode: encode still uses eval
    x = make_images(4)
    imp = template.encode(x)
    decode(template, imp, "noise", image_shape=(1, 8, 8), steps=6, iterations_per_step=3,
           generator=torch.Generator().manual_seed(0))
    after = net.state_dict()
    for key, value in before.items():
        assert torch.equal(value, after[key]), key
    assert net.training                          # the caller's mode is restored
    assert all(not p.requires_grad for p in net.parameters())
    # eval-mode statistics: a batch of one equals a batch of four (train-mode BN would differ)
    torch.testing.assert_close(template.encode(x[:1]).means[1], imp.means[1][:1])


def test_set_impression_pools_to_the_bn_running_statistics_of_its_training_set(
        make_net, make_images):
    """Constructed exact case: BN running statistics set by one full-batch pass over the
    'training set' (cumulative average), so a converged template's statistics are known
    exactly. The pooled set impression must give them (the biased/unbiased factor and the
    downstream eval-vs-train normalisation differ by O(1/n): tolerance 1e-3 relative)."""
    net = make_net()
    x = make_images(64, seed=3)
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None
    net.train()
    with torch.no_grad():
        net(x)
    template = TemplateNetwork(net)
    stats = template.encode(x).pooled()
    for (mu, var), bn in zip(stats, template.bn_layers.values(), strict=True):
        count = x.shape[0] * (8 * 8 if bn.num_features == 4 else 4 * 4)
        torch.testing.assert_close(mu, bn.running_mean, rtol=1e-3, atol=1e-4)
        torch.testing.assert_close(var * count / (count - 1), bn.running_var, rtol=1e-3,
                                   atol=1e-4)
    # the pooled variance is not the mean per-image variance (spread of the means counts)
    imp = template.encode(x)
    mean_var = (imp.stds[1].pow(2) - 1e-5).mean(0)
    assert (stats[1][1] - mean_var).abs().max() > 1e-2


def test_set_impression_is_the_mean_and_is_one_entry(
        make_net, make_images):
    template = TemplateNetwork(make_net())
    imp = template.encode(make_images(6))
    s = imp.mean()
    assert len(s) == 1
    torch.testing.assert_close(s.stds[1][0], imp.stds[1].mean(0))


def test_impressions_of_two_templates_refuse_to_mix(
        make_net, make_images):
    t1, t2 = TemplateNetwork(make_net(0)), TemplateNetwork(make_net(1))
    assert t1.fingerprint != t2.fingerprint
    assert TemplateNetwork(make_net(0)).fingerprint == t1.fingerprint
    a, b = t1.encode(make_images(3)), t2.encode(make_images(3))
    with pytest.raises(ValueError, match="different templates"):
        Impression.cat([a, b])
    with pytest.raises(ValueError, match="different templates"):
        impression_loss(a, b, [1.0, 1.0])
    with pytest.raises(ValueError, match="different templates"):
        decode(t1, b, "noise", image_shape=(1, 8, 8), steps=1)


def test_a_1x1_spatial_bn_input_gives_finite_impressions_and_gradients(
        make_net, make_images):
    template = TemplateNetwork(make_net(pool_to_one=True))
    x = make_images(3)
    imp = template.encode(x)
    assert len(imp.layers) == 3
    assert all(torch.isfinite(t).all() for t in imp.means + imp.stds)
    out = decode(template, imp.mean(), "noise", image_shape=(1, 8, 8), n=3, steps=5,
                 iterations_per_step=5, generator=torch.Generator().manual_seed(0))
    assert torch.isfinite(out).all()


def test_bad_inputs_are_refused_with_a_clear_error(make_net):
    with pytest.raises(ValueError, match="BatchNorm2d"):
        TemplateNetwork(nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten()))
    template = TemplateNetwork(make_net())
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        template.encode(torch.rand(1, 8, 8))
    with pytest.raises(ValueError, match="NaN"):
        template.encode(torch.full((1, 1, 8, 8), float("nan")))
    with pytest.raises(ValueError, match="layers"):
        TemplateNetwork(make_net(), layers=["nope"])
