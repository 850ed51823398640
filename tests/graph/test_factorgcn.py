"""FactorConv, FactorDiscriminator and FactorGCN against dense references and invariants."""

from __future__ import annotations

import math

import pytest
import torch
from torch_geometric.data import Batch, Data
from torch_geometric.utils import add_self_loops, erdos_renyi_graph, to_undirected

from tenfold.graph.factorgcn import FactorConv, FactorDiscriminator, FactorGCN


def random_graph(n: int, p: float, seed: int, channels: int = 5) -> Data:
    torch.manual_seed(seed)
    ei = to_undirected(erdos_renyi_graph(n, p))
    ei, _ = add_self_loops(ei, num_nodes=n)
    return Data(x=torch.randn(n, channels), edge_index=ei, num_nodes=n)


def dense_reference(conv: FactorConv, x: torch.Tensor, edge_index: torch.Tensor):
    """Edge-by-edge loop: e_uv^k = sigmoid(tau(a_k.h_u + c_k.h_v + b_k)), z_v^k = sum e c h_u."""
    h = conv.lin(x)
    n, d, k = x.size(0), conv.factor_channels, conv.num_factors
    deg = torch.zeros(n)
    for v in edge_index[1].tolist():
        deg[v] += 1
    out = torch.zeros(n, k, d)
    factors = torch.zeros(edge_index.size(1), k)
    for e, (u, v) in enumerate(edge_index.t().tolist()):
        for f in range(k):
            logit = conv.att_src[f] @ h[u] + conv.att_dst[f] @ h[v] + conv.att_bias[f]
            w = torch.sigmoid(conv.temperature * logit)
            factors[e, f] = w
            c = deg[u].clamp(min=1) ** -0.5
            if conv.normalize == "sym":
                c = c * deg[v].clamp(min=1) ** -0.5
            out[v, f] += w * c * h[u]
    return out.reshape(n, k * d), factors


@pytest.mark.parametrize("normalize", ["source", "sym"])
def test_matches_edge_loop_reference(normalize):
    g = random_graph(9, 0.3, 0)
    conv = FactorConv(5, 12, num_factors=3, normalize=normalize)
    out, factors = conv(g.x, g.edge_index, return_factors=True)
    ref_out, ref_factors = dense_reference(conv, g.x, g.edge_index)
    assert torch.allclose(factors, ref_factors, atol=1e-6)
    assert torch.allclose(out, ref_out, atol=1e-5)


def test_factor_shape_range_and_channels():
    g = random_graph(12, 0.3, 1)
    conv = FactorConv(5, 16, num_factors=4)
    out, factors = conv(g.x, g.edge_index, return_factors=True)
    assert out.shape == (12, 16)
    assert factors.shape == (g.edge_index.size(1), 4)
    assert bool((factors > 0).all() and (factors < 1).all())
    with pytest.raises(ValueError, match="divisible"):
        FactorConv(5, 10, num_factors=4)
    with pytest.raises(ValueError, match="channels"):
        conv(torch.randn(12, 4), g.edge_index)
    with pytest.raises(ValueError, match=r"\[2, num_edges\]"):
        conv(g.x, g.edge_index.t())


def test_zeroed_attention_is_scaled_source_normalised_gcn():
    """With a_k = c_k = 0 every factor is sigmoid(6 b_k) * sum_u deg(u)^-1/2 h_u (dense)."""
    g = random_graph(10, 0.35, 2)
    conv = FactorConv(5, 12, num_factors=3)
    with torch.no_grad():
        conv.att_src.zero_()
        conv.att_dst.zero_()
        conv.att_bias.copy_(torch.tensor([-0.3, 0.0, 0.4]))
    out, factors = conv(g.x, g.edge_index, return_factors=True)
    scale = torch.sigmoid(6.0 * conv.att_bias.detach())
    assert torch.allclose(factors, scale.expand_as(factors))
    n = g.num_nodes
    adj = torch.zeros(n, n)
    adj[g.edge_index[1], g.edge_index[0]] = 1.0           # adj[v, u] = 1 for u -> v
    d_src = adj.sum(1).clamp(min=1).pow(-0.5)             # in-degree of the source node
    base = adj @ (d_src[:, None] * conv.lin(g.x))
    for k in range(3):
        assert torch.allclose(out[:, 4 * k:4 * (k + 1)], scale[k] * base, atol=1e-5)
    sym = FactorConv(5, 12, num_factors=3, normalize="sym")
    sym.load_state_dict(conv.state_dict())
    ref = d_src[:, None] * (adj @ (d_src[:, None] * conv.lin(g.x)))
    assert torch.allclose(sym(g.x, g.edge_index)[:, :4], scale[0] * ref, atol=1e-5)


def test_permutation_equivariance():
    g = random_graph(11, 0.3, 3)
    conv = FactorConv(5, 8, num_factors=2)
    out, factors = conv(g.x, g.edge_index, return_factors=True)
    perm = torch.randperm(11, generator=torch.Generator().manual_seed(0))
    inv = torch.empty_like(perm)
    inv[perm] = torch.arange(11)
    # node i of the new graph is node perm[i] of the old one; edges keep their order
    out_p, factors_p = conv(g.x[perm], inv[g.edge_index], return_factors=True)
    assert torch.allclose(out_p, out[perm], atol=1e-5)
    assert torch.allclose(factors_p, factors, atol=1e-6)
    model = FactorGCN(5, 8, 3, factors_per_layer=(2, 2)).eval()
    assert torch.allclose(model(g.x[perm], inv[g.edge_index]), model(g.x, g.edge_index),
                          atol=1e-5)


@pytest.mark.parametrize("readout,pool", [("last", "mean"), ("layers", "sum")])
def test_batch_equals_graphs_one_at_a_time(readout, pool):
    graphs = [random_graph(n, 0.3, s) for s, n in enumerate([7, 12, 9])]
    batch = Batch.from_data_list(graphs)
    model = FactorGCN(5, 8, 3, factors_per_layer=(4, 2), readout=readout, pool=pool).eval()
    logits, factors = model(batch.x, batch.edge_index, batch.batch, return_factors=True)
    batch_loss = model.disentangle_loss()
    offset, losses = 0, []
    for i, g in enumerate(graphs):
        single, single_f = model(g.x, g.edge_index, return_factors=True)
        losses.append(model.disentangle_loss())
        assert torch.allclose(logits[i], single[0], atol=1e-5)
        e = g.edge_index.size(1)
        for layer in range(2):
            assert torch.allclose(factors[layer][offset:offset + e], single_f[layer], atol=1e-6)
        offset += e
    # the discriminator loss is a mean over (graph, factor) pairs of each layer
    assert torch.allclose(batch_loss, torch.stack(losses).mean(), atol=1e-5)


def test_discriminator_matches_dense_reference():
    g = random_graph(8, 0.4, 4, channels=6)
    dis = FactorDiscriminator(6, 3)
    factors = torch.rand(g.edge_index.size(1), 3)
    emb = dis.embed(g.x, g.edge_index, factors)
    n = g.num_nodes
    d_src = torch.zeros(n).index_add_(0, g.edge_index[1], torch.ones(g.edge_index.size(1)))
    d_src = d_src.clamp(min=1).pow(-0.5)
    for k in range(3):
        a = torch.zeros(n, n)
        a[g.edge_index[1], g.edge_index[0]] = factors[:, k]
        f = torch.tanh(a @ (d_src[:, None] * dis.lin1(g.x)))
        f = torch.tanh(a @ (d_src[:, None] * dis.lin2(f)))
        assert torch.allclose(emb[0, k], torch.tanh(f.mean(0)), atol=1e-5)


def test_discriminator_loss_identical_factors_and_gradient():
    g = random_graph(10, 0.3, 5, channels=8)
    k = 4
    same = torch.rand(g.edge_index.size(1), 1).expand(-1, k)
    dis = FactorDiscriminator(8, k)
    with torch.no_grad():
        dis.classifier.weight.zero_()
        dis.classifier.bias.zero_()
    assert math.isclose(float(dis(g.x, g.edge_index, same).detach()), math.log(k), rel_tol=1e-6)
    dis.reset_parameters()   # any classifier: identical factors cannot beat chance
    assert float(dis(g.x, g.edge_index, same).detach()) >= math.log(k) - 1e-6
    # distinct factors: the loss reaches the attention parameters of the layer
    conv = FactorConv(5, 4 * 8, num_factors=k)
    h = conv.project(random_graph(10, 0.3, 5).x)
    factors = conv.factor_weights(h, g.edge_index)
    dis(h, g.edge_index, factors).backward()
    assert conv.att_src.grad.abs().sum() > 0 and conv.att_dst.grad.abs().sum() > 0


def test_dis_weight_zero_removes_the_loss_exactly():
    g = random_graph(10, 0.3, 6)
    on = FactorGCN(5, 8, 2, factors_per_layer=(4, 2), dis_weight=1.0)
    off = FactorGCN(5, 8, 2, factors_per_layer=(4, 2), dis_weight=0.0)
    off.load_state_dict(on.state_dict())
    assert torch.equal(on(g.x, g.edge_index), off(g.x, g.edge_index))
    assert float(on.disentangle_loss().detach()) > 0
    loss = off(g.x, g.edge_index).sum() + off.disentangle_loss()
    assert float(off.disentangle_loss().detach()) == 0.0
    loss.backward()
    assert all(p.grad is None for p in off.discriminators.parameters())
    half = FactorGCN(5, 8, 2, factors_per_layer=(4, 2), dis_weight=0.5)
    half.load_state_dict(on.state_dict())
    half(g.x, g.edge_index)
    assert torch.allclose(half.disentangle_loss(), 0.5 * on.disentangle_loss())


def test_node_level_and_training_reduces_loss():
    g = random_graph(20, 0.2, 7)
    y = (g.x[:, 0] > 0).long()
    model = FactorGCN(5, 16, 2, factors_per_layer=(4, 2), pool=None)
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    losses = []
    for _ in range(60):
        opt.zero_grad()
        logits = model(g.x, g.edge_index)
        assert logits.shape == (20, 2)
        loss = torch.nn.functional.cross_entropy(logits, y) + model.disentangle_loss()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.7 * losses[0]


def test_forward_returns_the_projected_features_the_discriminator_needs():
    g = random_graph(10, 0.3, 6)
    torch.manual_seed(0)
    conv = FactorConv(5, 4 * 8, num_factors=4)
    dis = FactorDiscriminator(8, 4)
    out, factors, h = conv(g.x, g.edge_index, return_projected=True)
    torch.testing.assert_close(h, conv.project(g.x))
    torch.testing.assert_close(factors, conv.factor_weights(h, g.edge_index))
    torch.testing.assert_close(out, conv(g.x, g.edge_index))
    loss = dis(h, g.edge_index, factors)
    torch.testing.assert_close(loss, dis(conv.project(g.x), g.edge_index,
                                         conv.factor_weights(conv.project(g.x), g.edge_index)))
    loss.backward()                                 # reaches the projection and the attention
    assert conv.lin.weight.grad.abs().sum() > 0 and conv.att_src.grad.abs().sum() > 0
