"""Impression views for retrieval, the penultimate baseline, the networks and the experiment
scores of :mod:`tenfold.impression.evaluation`, against hand computations."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from tenfold.impression import (
    ImpressionView,
    TemplateNetwork,
    ablation_weights,
    bn_layer_count,
    class_balanced_indices,
    class_impressions,
    class_score_decoder,
    last_stage_layers,
    loo_1nn_accuracy,
    penultimate_features,
    predict_labels,
    retrieval_scores,
    same_class_images,
    template_classifier,
    translation_scores,
)


def test_views_equal_hand_built_vectors(make_net, make_images):
    template = TemplateNetwork(make_net())
    imp = template.encode(make_images(12))
    raw = torch.cat([imp.means[0], imp.stds[0], imp.means[1], imp.stds[1]], 1)
    torch.testing.assert_close(ImpressionView(standardise="none").features(imp), raw)
    z = (raw - raw.mean(0)) / raw.std(0)
    torch.testing.assert_close(ImpressionView().features(imp), z)
    means = torch.cat([imp.means[0], imp.means[1]], 1)
    torch.testing.assert_close(ImpressionView(stats="mean", standardise="none").features(imp),
                               means)
    logs = ImpressionView(stats="std", log_std=True, standardise="none").features(imp)
    torch.testing.assert_close(logs, torch.cat([imp.stds[0].log(), imp.stds[1].log()], 1))
    last = ImpressionView(layers=(template.layer_names[1],), standardise="none").features(imp)
    torch.testing.assert_close(last, torch.cat([imp.means[1], imp.stds[1]], 1))


def test_balanced_view_gives_every_layer_the_same_squared_norm_on_average(make_net,
                                                                         make_images):
    template = TemplateNetwork(make_net())
    imp = template.encode(make_images(40))
    v = ImpressionView(balance=True).features(imp)
    d0 = 2 * imp.channels[0]
    first, second = v[:, :d0], v[:, d0:]
    # z-scored dims have variance 1 (n-1 normaliser): mean squared block norm = (n-1)/n
    n = len(imp)
    assert first.pow(2).sum(1).mean() == pytest.approx((n - 1) / n, rel=1e-4)
    assert second.pow(2).sum(1).mean() == pytest.approx((n - 1) / n, rel=1e-4)


def test_views_refuse_unknown_layers_and_choices(make_net, make_images):
    imp = TemplateNetwork(make_net()).encode(make_images(3))
    with pytest.raises(ValueError, match="not BN layers"):
        ImpressionView(layers=("nope",)).features(imp)
    with pytest.raises(ValueError, match="stats"):
        ImpressionView(stats="median")
    with pytest.raises(ValueError, match="reference set"):
        ImpressionView().features(imp[:1])


def test_penultimate_features_are_the_heads_input_and_keep_the_mode():
    x = torch.rand(6, 3, 12, 12, generator=torch.Generator().manual_seed(0))
    net = template_classifier((4, 8), x)
    net.train()
    feats = penultimate_features(net, net[1].fc, x, batch_size=4)
    assert net.training
    net.eval()
    with torch.no_grad():
        body = net[1]
        h = body.features(body.stem(net[0](x)))
        expected = body.avgpool(h).flatten(1)
    torch.testing.assert_close(feats, expected)
    torch.testing.assert_close(predict_labels(net, x, batch_size=4),
                               net(x).argmax(1))


def test_bn_layer_count_and_last_stage_match_the_network():
    x = torch.rand(4, 1, 16, 16)
    for widths in ((8,), (8, 16), (8, 16, 32)):
        net = template_classifier(widths, x)
        names = [n for n, m in net.named_modules() if isinstance(m, nn.BatchNorm2d)]
        assert bn_layer_count(widths) == len(names)
        last = last_stage_layers(tuple(names), widths)
        assert last and all(n.startswith(f"1.features.{len(widths) - 1}.") for n in last)
        assert len(last) == (2 if len(widths) == 1 else 3)


def test_retrieval_scores_pick_the_view_on_validation_images(make_net, make_images):
    template = TemplateNetwork(make_net())
    x, xv = make_images(20, seed=3), make_images(20, seed=4)
    y = torch.arange(20) % 3
    yv = torch.arange(20) % 3
    views = {"a": ImpressionView(), "b": ImpressionView(stats="mean", standardise="none")}
    head = template.model[-1]
    scores = retrieval_scores(template, head, x, y, views, validation=(xv, yv))
    imp = template.encode(x)
    assert scores["b"] == loo_1nn_accuracy(views["b"].features(imp), y)
    assert scores["pixels"] == loo_1nn_accuracy(x.flatten(1), y)
    val = template.encode(xv)
    on_val = [loo_1nn_accuracy(views[k].features(val), yv) for k in ("a", "b")]
    best = 0 if on_val[0] >= on_val[1] else 1
    assert scores["selected_view"] == best
    assert scores["impression-selected"] == scores["ab"[best]]


def test_class_helpers(make_net, make_images):
    template = TemplateNetwork(make_net())
    x, y = make_images(9), torch.tensor([0, 1, 2] * 3)
    targets = class_impressions(template, x, y, num_classes=3)
    torch.testing.assert_close(targets[1].means[0], template.encode(x[y == 1]).means[0].mean(0,
                                                                                      True))
    idx = class_balanced_indices(y, 2, torch.Generator().manual_seed(0), num_classes=3)
    assert y[idx].tolist() == [0, 0, 1, 1, 2, 2] and len(set(idx.tolist())) == 6
    with pytest.raises(ValueError, match="class 0 has 3 < 4"):
        class_balanced_indices(y, 4, torch.Generator(), num_classes=3)
    picks = same_class_images(x, y, torch.tensor([2, 0]), torch.Generator().manual_seed(1))
    for pick, c in zip(picks, (2, 0), strict=True):
        assert any(torch.equal(pick, img) for img in x[y == c])
    assert ablation_weights(4, 2, 10.0) == (10.0, 1.0, 0.0, 0.0)
    with pytest.raises(ValueError):
        ablation_weights(4, 5, 1.0)


def test_translation_scores_count_by_hand():
    torch.manual_seed(0)
    x = torch.rand(5, 1, 8, 8)
    net = nn.Sequential(nn.Flatten(), nn.Linear(64, 3))
    other = nn.Sequential(nn.Flatten(), nn.Linear(64, 3))
    out = translation_scores(net, other, x, x, a=0, b=2)
    assert out["translate_template"] == float((net(x).argmax(1) == 2).sum())
    assert out["translate_verifier"] == float((other(x).argmax(1) == 2).sum())
    assert out["translate_verifier_source"] == float((other(x).argmax(1) == 0).sum())
    assert out["translate_ssim"] == pytest.approx(5.0, abs=1e-4)    # SSIM(x, x) = 1


def test_class_score_decoder_lowers_the_cross_entropy(make_net, make_images):
    template = TemplateNetwork(make_net())
    x, labels = make_images(4), torch.full((4,), 2)
    before = F.cross_entropy(template.model(x), labels)
    dec = class_score_decoder(template, x, labels, steps=30, lr=0.05, tv=0.0, jitter=0,
                              iterations_per_step=30)
    after = F.cross_entropy(template.model(dec.run().result()), labels)
    assert after < before
    with pytest.raises(ValueError, match="labels"):
        class_score_decoder(template, x, labels[:2])
