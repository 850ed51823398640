"""Decoding: the loss falls, pixels stay in range, the true image is a fixed point, the loop
resumes exactly; the DeepInversion-style term against hand-computed statistics; similarity and
image metrics against known answers."""

from __future__ import annotations

import math

import pytest
import torch

from tenfold.impression import (
    DecodeSettings,
    Standardizer,
    TemplateNetwork,
    decoder,
    deepinversion_decoder,
    deepinversion_objective,
    loo_1nn_accuracy,
    psnr,
    similarity,
    ssim,
    translate,
)


def test_decoding_lowers_the_impression_loss_on_average_and_keeps_pixels_in_range(
        make_net, make_images):
    template = TemplateNetwork(make_net(), pixel_range=(0.0, 1.0))
    target = template.encode(make_images(4, seed=5))
    dec = decoder(template, target, "noise", image_shape=(1, 8, 8), steps=120, lr=0.3,
                  iterations_per_step=10, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        start = float(dec.monitor(dec.x.detach()).mean())
    dec.run()
    losses = [start] + [h["loss"] for h in dec.history]
    thirds = len(losses) // 3
    assert sum(losses[-thirds:]) / thirds < 0.5 * sum(losses[:thirds]) / thirds
    falls = sum(b < a for a, b in zip(losses, losses[1:], strict=False))
    assert falls > len(losses) // 2                   # it falls at most checkpoints
    out = dec.result()
    assert out.min() >= 0.0 and out.max() <= 1.0


def test_decoding_clips_to_a_narrow_pixel_range(
        make_net, make_images):
    template = TemplateNetwork(make_net(), pixel_range=(0.3, 0.7))
    target = TemplateNetwork(make_net()).encode(make_images(2))   # same weights: same template
    out = decoder(template, target, "noise", image_shape=(1, 8, 8), steps=20, lr=0.5,
                  generator=torch.Generator().manual_seed(0)).run().result()
    assert out.min() >= 0.3 and out.max() <= 0.7
    assert out.min() == pytest.approx(0.3) and out.max() == pytest.approx(0.7)


def test_the_true_image_is_a_fixed_point(
        make_net, make_images):
    template = TemplateNetwork(make_net())
    x = make_images(3, seed=2)
    out = translate(template, x[:1], template.encode(x[:1]), steps=20, lr=0.05)
    assert (out - x[:1]).abs().max() < 1e-4


def test_the_decoding_loop_resumes_exactly(
        make_net, make_images):
    template = TemplateNetwork(make_net())
    target = template.encode(make_images(2, seed=3))

    def make():
        return decoder(template, target, "noise", image_shape=(1, 8, 8), steps=12,
                       iterations_per_step=3, jitter=2, flip=True,
                       generator=torch.Generator().manual_seed(4))
    full = make().run().result()
    first = make()
    first.step()
    first.step()
    state = first.state_dict()
    second = make()
    second.load_state_dict(state)
    assert torch.equal(second.run().result(), full)


def test_deepinversion_term_equals_hand_computed_batch_statistics(
        make_net, make_images):
    net = make_net()
    template = TemplateNetwork(net)
    x = make_images(5, seed=6)
    value, logits = deepinversion_objective(template, [2.0, 1.0])(x)
    a1 = net[0](x)
    a2 = net[3](net[2](net[1](a1)))
    expected = 0.0
    for w, a, bn in ((2.0, a1, net[1]), (1.0, a2, net[4])):
        m = a.mean((0, 2, 3))
        v = a.var((0, 2, 3), unbiased=False)
        expected += w * (float((m - bn.running_mean).norm()) + float((v - bn.running_var).norm()))
    assert float(value.sum()) == pytest.approx(expected, rel=1e-5)
    torch.testing.assert_close(logits, net(x))


def test_deepinversion_decoder_lowers_its_objective(
        make_net, make_images):
    net = make_net()
    for m in net.modules():                       # reachable running statistics: a data batch
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None
    net.train()
    with torch.no_grad():
        net(make_images(32, seed=9) * 0.5 + 0.25)
    template = TemplateNetwork(net)
    labels = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    dec = deepinversion_decoder(template, labels, (1, 8, 8),
                                DecodeSettings(steps=80, lr=0.1, tv=0.0, jitter=0),
                                ce_weight=0.0, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        start = float(dec.monitor(dec.x.detach()).mean())
    dec.run()
    assert dec.history[-1]["loss"] < 0.5 * start


def test_settings_are_checked(
        make_net, make_images):
    template = TemplateNetwork(make_net())
    target = template.encode(make_images(1))
    for bad in ({"steps": 0}, {"lr": -1.0}, {"tv": math.nan}, {"layer_weights": (1.0,)},
                {"jitter": -1}):
        with pytest.raises(ValueError):
            decoder(template, target, "noise", image_shape=(1, 8, 8), **bad)
    with pytest.raises(ValueError, match="labels"):
        decoder(template, target, "noise", image_shape=(1, 8, 8), ce_weight=1.0)
    with pytest.raises(ValueError, match="image_shape"):
        decoder(template, target, "noise")


def test_similarity_is_symmetric_zero_on_identical_and_standardised(
        make_net, make_images):
    template = TemplateNetwork(make_net())
    a, b = template.encode(make_images(4, seed=1)), template.encode(make_images(3, seed=2))
    scaler = Standardizer.fit(a)
    s_ab, s_ba = similarity(a, b, scaler), similarity(b, a, scaler)
    torch.testing.assert_close(s_ab, s_ba.T)
    assert torch.allclose(torch.diagonal(similarity(a, a, scaler)), torch.zeros(4), atol=1e-5)
    z = scaler.transform(a)
    torch.testing.assert_close(z.mean(0), torch.zeros(z.shape[1]), atol=1e-5, rtol=0)
    other = TemplateNetwork(make_net(3)).encode(make_images(2))
    with pytest.raises(ValueError, match="different templates"):
        similarity(a, other)


def test_psnr_ssim_and_1nn_known_answers():
    x = torch.rand(2, 1, 12, 12, generator=torch.Generator().manual_seed(0))
    assert psnr(x, (x + 0.1)).tolist() == pytest.approx([20.0, 20.0], abs=1e-4)
    torch.testing.assert_close(ssim(x, x), torch.ones(2))
    a, b = torch.full((1, 1, 11, 11), 0.2), torch.full((1, 1, 11, 11), 0.6)
    c1 = 0.01 ** 2
    expected = (2 * 0.2 * 0.6 + c1) / (0.2 ** 2 + 0.6 ** 2 + c1)     # luminance term only
    assert float(ssim(a, b)) == pytest.approx(expected, rel=1e-4)
    feats = torch.tensor([[0.0], [0.1], [5.0], [5.2], [0.05]])
    assert loo_1nn_accuracy(feats, torch.tensor([0, 0, 1, 1, 1])) == pytest.approx(0.4)
