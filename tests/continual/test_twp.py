"""TWP: importance supports, finite differences, determinism, the β term, reductions, behaviour."""

import copy

import pytest
import torch
from torch_geometric.data import Data

from tenfold.continual import (
    EWC,
    GAT,
    GCN,
    MAS,
    TWP,
    AttentionRecorder,
    ContinualTrainer,
    LwF,
    TaskStream,
    attention_norm,
)
from tenfold.continual.plugins import parameter_gradients, trainable_parameters
from tenfold.data.synthetic import generate


def _stream(seed=0, scenario="task", **kw):
    data = generate("synthetic-sbm", num_nodes=600, num_val=100, num_test=200,
                    feature_signal=0.25, homophily=0.5, seed=seed, **kw)
    return TaskStream(data, 2, split=(20, 10), scenario=scenario,
                      generator=torch.Generator().manual_seed(seed))


def _model(kind, stream, seed=0):
    torch.manual_seed(seed)
    if kind == "gcn":
        return GCN(stream.x.size(1), 16, stream.num_outputs)
    return GAT(stream.x.size(1), 4, stream.num_outputs, heads=2)


def _fit(plugins=(), joint=False, epochs=15, kind="gcn", seed=0, stream=None):
    stream = stream or _stream(seed)
    model = _model(kind, stream, seed)
    trainer = ContinualTrainer(model, lambda p: torch.optim.Adam(p, 2e-2, weight_decay=5e-4),
                               epochs, plugins, joint)
    return trainer.fit(stream), model


@pytest.mark.parametrize("kind,support", [
    ("gcn", {"conv1.lin.weight"}),
    ("gat", {"conv1.lin.weight", "conv1.att_src", "conv1.att_dst"}),
])
def test_topology_importance_support(kind, support):
    stream = _stream()
    model = _model(kind, stream).eval()
    batch = stream.batch(0)
    _, i_topo = TWP(importance="paper").importance_terms(model, batch)
    for name, imp in i_topo.items():
        if name in support:
            assert float(imp.abs().sum()) > 0, name
        else:
            assert bool((imp == 0).all()), f"{name} should not influence the first-layer attention"
    # the official mixed variant leaks the loss gradient into every parameter (the bug fixed)
    _, mixed = TWP(importance="official").importance_terms(model, batch)
    assert float(mixed["conv2.lin.weight"].abs().sum()) > 0


def test_task_il_head_isolation_of_loss_importance():
    stream = _stream()
    model = _model("gcn", stream).eval()
    i_loss, _ = TWP().importance_terms(model, stream.batch(1))
    rows = i_loss["conv2.lin.weight"].abs().sum(dim=1)   # one row per output column
    assert bool((rows[[2, 3]] > 0).all())
    assert bool((rows[[0, 1, 4, 5]] == 0).all())


def test_gat_attention_matches_return_attention_weights():
    stream = _stream()
    model = _model("gat", stream).eval()
    with AttentionRecorder(model) as rec:
        model(stream.x, stream.edge_index)
    _, (_, alpha) = model.conv1(stream.x, stream.edge_index, return_attention_weights=True)
    torch.testing.assert_close(rec.attention, alpha)
    assert rec.mode == "edge_update"
    assert AttentionRecorder(_model("gcn", stream)).mode == "pseudo"


def test_pseudo_attention_finite_differences():
    torch.manual_seed(0)
    edge_index = torch.tensor([[0, 1, 1, 2, 3, 4, 5, 0], [1, 0, 2, 1, 4, 3, 0, 5]])
    x = torch.randn(6, 3, dtype=torch.float64)
    model = GCN(3, 4, 2, dropout=0.0).double().eval()
    params = trainable_parameters(model)

    def value():
        with AttentionRecorder(model) as rec:
            model(x, edge_index)
        return attention_norm(rec.attention, "l2")

    grads = parameter_gradients(value(), params)
    gen = torch.Generator().manual_seed(0)
    weight = params["conv1.lin.weight"]
    eps = 1e-6
    for _ in range(20):
        i = int(torch.randint(weight.numel(), (1,), generator=gen))
        with torch.no_grad():
            old = weight.view(-1)[i].item()
            weight.view(-1)[i] = old + eps
            up = float(value())
            weight.view(-1)[i] = old - eps
            down = float(value())
            weight.view(-1)[i] = old
        numeric = (up - down) / (2 * eps)
        assert grads["conv1.lin.weight"].view(-1)[i].item() == pytest.approx(numeric, abs=1e-7)


@pytest.mark.parametrize("kind", ["gcn", "gat"])
def test_importances_deterministic_in_eval_mode(kind):
    stream = _stream()
    model = _model(kind, stream)
    twp = TWP()
    model.eval()
    a = twp.importance_terms(model, stream.batch(0))
    b = twp.importance_terms(model, stream.batch(0))
    for x, y in zip(a, b, strict=True):
        assert all(torch.equal(x[n], y[n]) for n in x)
    model.train()   # dropout on: a different importance each call
    c = twp.importance_terms(model, stream.batch(0))
    assert not torch.allclose(a[1]["conv1.lin.weight"], c[1]["conv1.lin.weight"], rtol=1e-2)
    # consolidate switches to eval mode itself and restores the training flag
    twp.consolidate(model, stream.batch(0), 0)
    assert model.training
    expected = {n: 1e4 * a[0][n] + 1e4 * a[1][n] for n in a[0]}
    assert all(torch.allclose(twp.history[0][n], expected[n]) for n in expected)


def _grad_with_beta(beta, mode):
    stream = _stream()
    model = _model("gcn", stream)
    model.eval()
    batch = stream.batch(0)
    twp = TWP(beta=beta, beta_mode=mode)
    out = model(batch.x, batch.edge_index)
    loss = batch.loss(out)
    term = twp.penalty(model, out, loss, batch, 0)
    total = loss if term is None else loss + term
    return parameter_gradients(total, trainable_parameters(model))["conv1.lin.weight"], total


def test_beta_term_is_differentiable_and_official_mode_is_constant():
    g0, _ = _grad_with_beta(0.0, "differentiable")
    g1, total = _grad_with_beta(0.1, "differentiable")
    assert not torch.allclose(g0, g1)
    g_official, total_official = _grad_with_beta(0.1, "official")
    torch.testing.assert_close(g_official, g0)
    torch.testing.assert_close(total_official, total)      # same value, no gradient


def _same(m1, m2):
    return all(torch.equal(a, b) for a, b in zip(m1.parameters(), m2.parameters(), strict=True))


def test_twp_without_topology_is_ewc_and_without_anything_is_finetune():
    ewc, m_ewc = _fit([EWC(1e4)])
    twp, m_twp = _fit([TWP(lambda_l=1e4, lambda_t=0.0, beta=0.0)])
    torch.testing.assert_close(ewc.matrix, twp.matrix, rtol=0, atol=0, equal_nan=True)
    assert _same(m_ewc, m_twp)
    fine, m_fine = _fit()
    zero, m_zero = _fit([TWP(lambda_l=0.0, lambda_t=0.0, beta=0.0)])
    assert _same(m_fine, m_zero)
    # and the topology term does change the training
    twp_full, m_full = _fit([TWP(lambda_l=1e4, lambda_t=1e4, beta=0.0)])
    assert not _same(m_ewc, m_full)


def test_ewc_and_mas_importances_match_reference():
    stream = _stream()
    model = _model("gcn", stream).eval()
    batch = stream.batch(0)
    params = trainable_parameters(model)
    w = params["conv2.lin.weight"]
    out = model(batch.x, batch.edge_index)
    (g,) = torch.autograd.grad(batch.loss(out), [w])
    torch.testing.assert_close(EWC(3.0).importance(model, batch)["conv2.lin.weight"], 3.0 * g ** 2)
    out = model(batch.x, batch.edge_index)[batch.nodes][:, batch.columns]
    (g,) = torch.autograd.grad((out ** 2).sum(1).mean(), [w])
    torch.testing.assert_close(MAS(2.0).importance(model, batch)["conv2.lin.weight"],
                               2.0 * g.abs())


def test_lwf_distillation_is_zero_right_after_consolidation():
    stream = _stream()
    model = _model("gcn", stream).eval()
    lwf = LwF(1.0)
    lwf.consolidate(model, stream.batch(0), 0)
    batch = stream.batch(1)
    out = model(batch.x, batch.edge_index)
    with torch.no_grad():
        assert float(lwf.penalty(model, out, batch.loss(out), batch, 1)) == pytest.approx(
            0, abs=1e-7)
        shifted = out.clone()
        shifted[:, 0] += 3.0
        assert float(lwf.penalty(model, shifted, batch.loss(out), batch, 1)) > 0.01


def test_no_leakage_of_other_tasks_labels():
    stream = _stream()
    base = copy.deepcopy(stream)
    keep = torch.zeros(stream.num_nodes, dtype=torch.bool)
    keep[stream[0].train_nodes] = True
    gen = torch.Generator().manual_seed(5)
    stream.node_column = torch.where(keep, stream.node_column,
                                     torch.randint(6, (stream.num_nodes,), generator=gen))
    params = []
    for s in (base, stream):
        model = _model("gcn", s)
        trainer = ContinualTrainer(model, lambda p: torch.optim.Adam(p, 1e-2), 5, [TWP()])
        trainer.train_task(s, 0)
        params.append([p.detach().clone() for p in model.parameters()])
    assert all(torch.equal(a, b) for a, b in zip(*params, strict=True))


def test_finetune_forgets_more_than_twp_on_synthetic_stream():
    fine_af, twp_af = [], []
    for seed in (0, 1):
        fine_af.append(_fit(epochs=60, seed=seed)[0].metrics["af"])
        twp_af.append(_fit([TWP(beta=0.0)], epochs=60, seed=seed)[0].metrics["af"])
    assert sum(fine_af) / 2 > 0.04
    assert sum(twp_af) / 2 < sum(fine_af) / 2 - 0.03


def test_class_il_evaluates_among_all_seen_classes():
    stream = _stream(scenario="class")
    result, _ = _fit(stream=stream, epochs=20)
    # class-IL with fine-tuning: the last task's head dominates, old tasks collapse
    assert result.metrics["ap"] < 0.6
    assert result.matrix[-1, -1] > 0.5


def test_errors():
    with pytest.raises(ValueError, match="beta_mode"):
        TWP(beta_mode="sometimes")
    with pytest.raises(ValueError, match="norm"):
        TWP(norm="l1")
    with pytest.raises(ValueError, match="MessagePassing"):
        AttentionRecorder(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="out of range"):
        AttentionRecorder(GCN(2, 2, 2), layer=5)
    with pytest.raises(ValueError, match="joint"):
        ContinualTrainer(GCN(2, 2, 2), torch.optim.Adam, plugins=[EWC()], joint=True)
    data = Data(x=torch.randn(4, 2), edge_index=torch.tensor([[0, 1], [1, 0]]),
                y=torch.tensor([0, 1, 0, 1]))
    assert len(TaskStream(data, 1, split=(1, 0))) == 2


@pytest.mark.parametrize("make", [TWP, EWC, MAS, LwF])
def test_penalty_is_a_zero_tensor_on_the_loss_device_before_any_task(make):
    stream = _stream()
    model = _model("gcn", stream)
    batch = stream.batch(0)
    out = model(batch.x, batch.edge_index)
    loss = batch.loss(out)
    term = make().penalty(model, out, loss, batch, 0)
    total = loss + term                                   # a user's own loop: no None check
    assert isinstance(term, torch.Tensor) and term.shape == () and float(term) == 0.0
    assert torch.equal(total, loss)
    meta_loss = torch.zeros((), device="meta", dtype=torch.float64)
    meta_term = make().penalty(model, out.to("meta"), meta_loss, batch, 0)
    assert meta_term.device == meta_loss.device and meta_term.dtype == torch.float64
