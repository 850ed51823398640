"""SPAConv / SPAGAN (tenfold.graph.spagan) against reference computations and invariants."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch_geometric.nn import GATConv

from tenfold.graph.paths import PathSet, ShortestPathSampler
from tenfold.graph.spagan import SPAGAN, SPAConv


def random_graph(n=25, e=90, f=6, seed=0):
    gen = torch.Generator().manual_seed(seed)
    ei = torch.randint(n, (2, e), generator=gen)
    ei = torch.unique(ei[:, ei[0] != ei[1]], dim=1)
    cost = torch.rand(ei.size(1), generator=gen)
    return torch.randn(n, f, generator=gen), ei, cost


@pytest.mark.parametrize("concat", [True, False])
def test_one_hop_over_a_plus_i_is_a_gat_head(concat):
    torch.manual_seed(0)
    x, ei, _ = random_graph()
    gat = GATConv(6, 4, heads=3, concat=concat).eval()
    spa = SPAConv(6, 4, heads=3, max_hops=2, concat=concat).eval()
    with torch.no_grad():
        spa.lin.weight.copy_(gat.lin.weight)
        spa.att_src[0].copy_(gat.att_src[0])
        spa.att_dst[0].copy_(gat.att_dst[0])
        spa.bias.copy_(gat.bias)
    out, (ei_gat, alpha_gat) = gat(x, ei, return_attention_weights=True)
    spa_out, att = spa(x, ei, return_attention_weights=True)
    assert torch.allclose(spa_out, out, atol=1e-6)
    assert att.length_beta is None and att.paths.max_hops == 1
    # same attention per (neighbour, centre) edge
    got = {tuple(e): a for e, a in zip(torch.stack([att.paths.nodes[0][:, 0],
                                                    att.paths.center[0]]).t().tolist(),
                                       att.path_alpha[0].tolist(), strict=True)}
    for e, a in zip(ei_gat.t().tolist(), alpha_gat.tolist(), strict=True):
        assert got[tuple(e)] == pytest.approx(a, abs=1e-6)


def reference_spaconv(conv: SPAConv, x: torch.Tensor, paths: PathSet) -> torch.Tensor:
    """The equations written out with Python loops (eval mode, max or mean pooling)."""
    n, heads, f = x.size(0), conv.heads, conv.out_channels
    g = (x @ conv.lin.weight.t()).view(n, heads, f)
    out = torch.zeros(n, heads, f)
    for i in range(n):
        for h in range(heads):
            us = []
            for c in range(paths.max_hops):
                sel = (paths.center[c] == i).nonzero().view(-1)
                phis, scores = [], []
                for p in sel.tolist():
                    feats = g[paths.nodes[c][p], h]
                    phi = feats.max(0).values if conv.path_pool == "max" else feats.mean(0)
                    phis.append(phi)
                    scores.append(F.leaky_relu(torch.dot(conv.att_src[c, h], phi)
                                               + torch.dot(conv.att_dst[c, h], g[i, h]), 0.2))
                w = torch.softmax(torch.stack(scores), 0)
                us.append((w[:, None] * torch.stack(phis)).sum(0))
            s = torch.stack([F.leaky_relu(torch.dot(conv.att_len_src[0, h], u)
                                          + torch.dot(conv.att_len_dst[0, h], g[i, h]), 0.2)
                             for u in us])
            beta = torch.softmax(s, 0)
            out[i, h] = sum(b * u for b, u in zip(beta, us, strict=True))
    return out.reshape(n, -1) + conv.bias


@pytest.mark.parametrize("pool", ["max", "mean"])
def test_two_hop_layer_matches_loop_reference(pool):
    torch.manual_seed(1)
    x, ei, cost = random_graph(n=15, e=50)
    paths = ShortestPathSampler(max_hops=2, degree_ratio=1.0)(ei, cost, 15)
    conv = SPAConv(6, 3, heads=2, max_hops=2, path_pool=pool).eval()
    with torch.no_grad():
        conv.bias.normal_()
        out = conv(x, ei, paths)
        assert torch.allclose(out, reference_spaconv(conv, x, paths), atol=1e-5)


def test_attention_normalised_per_group():
    torch.manual_seed(2)
    x, ei, cost = random_graph()
    paths = ShortestPathSampler(max_hops=2)(ei, cost, x.size(0))
    conv = SPAConv(6, 4, heads=3, max_hops=2, dropout=0.0)
    _, att = conv(x, ei, paths, return_attention_weights=True)
    for c in range(2):
        sums = torch.zeros(x.size(0), 3).index_add_(0, att.paths.center[c], att.path_alpha[c])
        assert torch.allclose(sums, torch.ones_like(sums), atol=1e-6)
    assert att.length_beta.shape == (x.size(0), 2, 3)
    assert torch.allclose(att.length_beta.sum(1), torch.ones(x.size(0), 3), atol=1e-6)


def test_permutation_equivariance():
    torch.manual_seed(3)
    x, ei, cost = random_graph(n=30, e=120)
    perm = torch.randperm(30)                       # old id -> new id
    inv = torch.argsort(perm)
    sampler = ShortestPathSampler(max_hops=2)
    conv = SPAConv(6, 4, heads=2, max_hops=2).eval()
    with torch.no_grad():
        out = conv(x, ei, sampler(ei, cost, 30))
        out_p = conv(x[inv], perm[ei], sampler(perm[ei], cost, 30))
    assert torch.allclose(out_p[perm], out, atol=1e-5)


def test_determinism_same_seed_same_logits():
    x, ei, cost = random_graph()
    outs = []
    for _ in range(2):
        torch.manual_seed(7)
        model = SPAGAN(6, 4, 3, heads=(2, 1), dropout=0.5)
        model.refresh_paths(x, ei)
        torch.manual_seed(8)
        outs.append(model(x, ei))                   # training mode: dropout is seeded too
    assert torch.equal(outs[0], outs[1])


def test_gradients_reach_every_attention_vector():
    torch.manual_seed(4)
    x, ei, cost = random_graph()
    model = SPAGAN(6, 4, 3, heads=(2, 1), max_hops=2, dropout=0.0)
    paths = ShortestPathSampler(max_hops=2, degree_ratio=1.0)(ei, cost, x.size(0))
    model(x, ei, paths).square().sum().backward()
    conv = model.conv1
    for c in range(2):
        assert conv.att_src.grad[c].abs().sum() > 0, f"att_src[{c}]"
        assert conv.att_dst.grad[c].abs().sum() > 0, f"att_dst[{c}]"
    for name in ("att_len_src", "att_len_dst"):
        assert getattr(conv, name).grad.abs().sum() > 0, name
    assert model.conv2.att_src.grad.abs().sum() > 0
    assert all(p.grad is not None for p in model.parameters())


def test_refresh_paths_uses_own_attention_and_one_layer_model():
    x, ei, _ = random_graph()
    model = SPAGAN(6, 4, 3, heads=(2, 1), num_layers=1)
    paths = model.refresh_paths(x, ei)
    assert paths.max_hops == 2 and model.paths is paths
    assert model(x, ei).shape == (x.size(0), 3)
    assert model.conv2 is None


def test_bad_inputs_raise_clear_errors():
    x, ei, cost = random_graph()
    conv = SPAConv(6, 4)
    with pytest.raises(ValueError, match=r"x must have shape \[N, 6\]"):
        conv(x[:, :5], ei)
    paths = ShortestPathSampler()(ei, cost, x.size(0))
    with pytest.raises(ValueError, match="built for"):
        conv(x[:10], ei[:, :0], paths)
    with pytest.raises(ValueError, match="path_pool"):
        SPAConv(6, 4, path_pool="sum")


def small_task(seed=0):
    from torch_geometric.data import Data

    x, ei, _ = random_graph(n=40, e=160, seed=seed)
    y = torch.arange(40) % 3
    masks = [torch.arange(40) % 4 == k for k in range(3)]
    return Data(x=x, edge_index=torch.cat([ei, ei.flip(0)], 1), y=y, train_mask=masks[0],
                val_mask=masks[1], test_mask=masks[2])


def make_trainer(data, regen_every):
    from tenfold.graph.spagan_train import SPAGANTrainer

    torch.manual_seed(0)
    model = SPAGAN(6, 4, 3, heads=(2, 1), dropout=0.3)
    model.refresh_paths(data.x, data.edge_index)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    return SPAGANTrainer(model, data, opt, regen_every=regen_every, max_epochs=12,
                         patience=0, warmup=0)


def test_iterative_trainer_regenerates_and_resumes_exactly():
    data = small_task()
    full = make_trainer(data, regen_every=3)
    first_paths = full.module.paths
    torch.manual_seed(5)
    while not full.stopped:
        full.step()
    assert full.regenerations == 3                          # before epochs 3, 6 and 9
    assert full.module.paths is not first_paths

    part = make_trainer(data, regen_every=3)
    torch.manual_seed(5)
    for _ in range(7):
        part.step()
    state = part.state_dict()
    rng = torch.get_rng_state()
    resumed = make_trainer(data, regen_every=3)
    resumed.load_state_dict(state)
    torch.set_rng_state(rng)
    while not resumed.stopped:
        resumed.step()
    assert resumed.result() == full.result()
    for a, b in zip(resumed.module.paths.nodes, full.module.paths.nodes, strict=True):
        assert torch.equal(a, b)


def test_warmup_trainer_waits_for_warmup_before_stopping():
    from tenfold.graph.spagan_train import WarmupTrainer

    data = small_task()
    model = SPAGAN(6, 4, 3, heads=(2, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.0)       # nothing improves after epoch 0
    trainer = WarmupTrainer(model, data, opt, max_epochs=100, patience=2, warmup=10)
    while not trainer.stopped:
        trainer.step()
    assert trainer.epoch == 11 and trainer.result()["best_epoch"] == 0


def test_fit_spagan_runs_the_official_schedule_without_a_hand_built_gat():
    from tenfold.graph.spagan_train import fit_spagan, gat_paths

    data = small_task()
    torch.manual_seed(0)
    model = SPAGAN(-1, 4, 3, heads=(2, 1), dropout=0.3)          # lazy sizes work too
    result = fit_spagan(model, data, max_epochs=6, patience=0, warmup=0)
    assert set(result) == {"gat", "spagan", "paths"}
    assert result["gat"]["epochs_run"] == 6 and result["spagan"]["epochs_run"] == 6
    assert model.paths is not None and model.paths.max_hops == 2
    assert model(data.x, data.edge_index).shape == (40, 3)
    # the paths are the phase-1 GAT's: rebuilding them from an equally trained GAT agrees
    torch.manual_seed(0)
    again = SPAGAN(-1, 4, 3, heads=(2, 1), dropout=0.3)
    from tenfold.graph.spagan_train import WarmupTrainer, default_gat

    with torch.no_grad():
        again(data.x, data.edge_index)
    gat = default_gat(again, data.num_features)
    trainer = WarmupTrainer(gat, data, torch.optim.Adam(gat.parameters(), lr=0.005,
                                                        weight_decay=5e-4),
                            max_epochs=6, patience=0, warmup=0)
    while not trainer.stopped:
        trainer.step()
    gat.load_state_dict(trainer.best_state)
    ref = gat_paths(gat.conv1, data.x, data.edge_index, ShortestPathSampler())
    for a, b in zip(ref.nodes, result["paths"].nodes, strict=True):
        assert torch.equal(a, b)
