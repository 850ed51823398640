"""Fuzzy part classification: known answers, log-space vs naive form, stability; WGAN-GP."""

from __future__ import annotations

import math

import pytest
import torch

from tenfold.udor.losses import (
    fuzzy_loss,
    fuzzy_loss_naive,
    fuzzy_marginal_loss,
    fuzzy_part_terms,
    gradient_penalty,
    marginal_term,
    supervised_part_loss,
    uniform_fuzzy_value,
)

BIG = 60.0   # logit gap: softmax saturates to one-hot in float64 within ~1e-26


def one_hot_logits(classes: list[list[int]], num_k: int) -> torch.Tensor:
    """Logits (B, K, K+1) whose softmax is (numerically) one-hot at the given classes."""
    out = torch.zeros(len(classes), num_k, num_k + 1, dtype=torch.float64)
    for b, row in enumerate(classes):
        for k, c in enumerate(row):
            out[b, k, c] = BIG
    return out


@pytest.mark.parametrize("num_k", [2, 3, 5])
def test_one_hot_empty_or_own_category_costs_nothing(num_k):
    # part k (0-based) answered "empty" (0) or its own category (k + 1), in any mix
    rows = [[0] * num_k, [k + 1 for k in range(num_k)], [(k + 1) * (k % 2) for k in range(num_k)]]
    logits = one_hot_logits(rows, num_k)
    assert fuzzy_part_terms(logits).abs().max() < 1e-20
    zero = torch.zeros(num_k + 1, dtype=torch.float64)
    zero[0] = BIG
    assert abs(float(fuzzy_loss(logits, zero))) < 1e-20


def test_one_hot_other_category_is_penalised():
    # part 0 called category 2 (not "empty", not its own): a large loss
    logits = one_hot_logits([[2, 2, 3]], 3)
    terms = fuzzy_part_terms(logits)[0]
    assert terms[0] > 50 and terms[1] < 1e-20 and terms[2] < 1e-20


@pytest.mark.parametrize("num_k", [1, 3, 7])
def test_uniform_distribution_matches_closed_form(num_k):
    logits = torch.zeros(4, num_k, num_k + 1, dtype=torch.float64)
    expected = -math.log(1 - (num_k / (num_k + 1)) ** 2)
    assert uniform_fuzzy_value(num_k) == pytest.approx(expected)
    assert torch.allclose(fuzzy_part_terms(logits), torch.full((4, num_k), expected,
                                                               dtype=torch.float64))
    # official sum over parts plus the empty-code term at a uniform C(0): K/(K+1)·log(K+1)
    zero = torch.zeros(num_k + 1, dtype=torch.float64)
    total = num_k * expected + num_k / (num_k + 1) * math.log(num_k + 1)
    assert float(fuzzy_loss(logits, zero)) == pytest.approx(total)


def test_log_space_equals_naive_where_finite():
    g = torch.Generator().manual_seed(0)
    logits = 3 * torch.randn(32, 3, 4, generator=g, dtype=torch.float64)
    zero = torch.randn(4, generator=g, dtype=torch.float64)
    a, b = fuzzy_loss(logits, zero), fuzzy_loss_naive(logits, zero)
    assert torch.isfinite(b)
    assert float(a) == pytest.approx(float(b), rel=1e-10)
    ga, = torch.autograd.grad(fuzzy_loss(logits.requires_grad_(True), zero), logits)
    gb, = torch.autograd.grad(fuzzy_loss_naive(logits, zero), logits)
    assert torch.allclose(ga, gb, rtol=1e-8, atol=1e-12)


def test_log_space_stays_finite_at_saturated_logits():
    # every pattern of ±30 over 3 parts × 4 classes, float32: the naive form breaks, ours not
    signs = torch.tensor([[(i >> j) & 1 for j in range(4)] for i in range(16)], dtype=torch.float32)
    logits = (60 * signs - 30).unsqueeze(1).expand(16, 3, 4).clone().requires_grad_(True)
    loss = fuzzy_marginal_loss(logits, torch.full((4,), 30.0))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(logits.grad).all()
    naive = fuzzy_loss_naive(logits.detach(), torch.full((4,), 30.0))
    assert not torch.isfinite(naive)      # the official form's log(0): why the log-space form


def test_gradient_pushes_other_classes_down():
    logits = torch.zeros(1, 3, 4, dtype=torch.float64, requires_grad=True)
    fuzzy_loss(logits).backward()
    g = logits.grad[0]
    for k in range(3):
        others = [c for c in range(4) if c not in (0, k + 1)]
        assert (g[k, others] > 0).all() and g[k, 0] < 0 and g[k, k + 1] < 0


def test_trivial_minimiser_and_the_marginal_variant():
    # the classifier says "empty" for every part and for the zero code: official loss 0
    logits = one_hot_logits([[0, 0, 0]] * 8, 3)
    zero = torch.zeros(4, dtype=torch.float64)
    zero[0] = BIG
    assert abs(float(fuzzy_loss(logits, zero))) < 1e-20
    # the marginal variant refuses it: each part must be called its category somewhere
    assert float(fuzzy_marginal_loss(logits, zero)) > 100
    # ... and is zero for a classifier that names every part's category
    own = one_hot_logits([[1, 2, 3]] * 8, 3)
    assert abs(float(marginal_term(own))) < 1e-20
    # marginal = −Σ_k log mean_b P_k[k]: half the batch own, half empty → 3·log 2
    half = one_hot_logits([[1, 2, 3]] * 4 + [[0, 0, 0]] * 4, 3)
    assert float(marginal_term(half)) == pytest.approx(3 * math.log(2))


def test_supervised_part_loss_targets():
    present = torch.tensor([[True, False, True]])
    good = one_hot_logits([[1, 0, 3]], 3)
    bad = one_hot_logits([[0, 2, 0]], 3)
    assert float(supervised_part_loss(good, present)) < 1e-20
    assert float(supervised_part_loss(bad, present)) == pytest.approx(3 * BIG)


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="K \\+ 1"):
        fuzzy_loss(torch.zeros(2, 3, 3))


def test_gradient_penalty_of_a_linear_critic():
    # D(x) = <w, x>: the gradient is w everywhere, penalty (‖w‖ − 1)²
    w = torch.randn(1, 2, 2, generator=torch.Generator().manual_seed(0))

    def critic(x):
        return (x * w).flatten(1).sum(1)

    real, fake = torch.rand(5, 1, 2, 2), torch.rand(5, 1, 2, 2)
    gp = gradient_penalty(critic, real, fake, torch.Generator().manual_seed(1))
    assert float(gp) == pytest.approx((float(w.norm()) - 1) ** 2, rel=1e-5)
