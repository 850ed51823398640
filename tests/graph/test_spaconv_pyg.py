"""SPAConv as a PyG ``MessagePassing`` layer: GATConv's call forms, equivalence with the layer it
replaced (kept below verbatim as ``OldSPAConv``), unused-parameter safety, TWP, cost of forms."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn import GATConv, MessagePassing
from torch_geometric.nn.inits import glorot, zeros
from torch_geometric.utils import scatter, softmax, to_torch_coo_tensor, to_torch_csr_tensor

from tenfold.graph.paths import PathSet, ShortestPathSampler
from tenfold.graph.spagan import SPAGAN, SPAConv


def random_graph(n=25, e=90, f=6, seed=0):
    gen = torch.Generator().manual_seed(seed)
    ei = torch.randint(n, (2, e), generator=gen)
    ei = torch.unique(ei[:, ei[0] != ei[1]], dim=1)
    cost = torch.rand(ei.size(1), generator=gen)
    return torch.randn(n, f, generator=gen), ei, cost


# The layer before it became a MessagePassing layer (src/tenfold/graph/spagan.py at 12f14b4),
# verbatim apart from the class name and the attention return type.
class OldSPAConv(nn.Module):
    """Shortest-path attention layer, PyG style (see the module docstring for the equations).

    Args:
        in_channels: input features per node.
        out_channels: output features per head.
        heads: attention heads.
        max_hops: longest path length attended over (one attention vector per length).
        path_pool: ``"max"`` (official code) or ``"mean"`` pooling of a path's non-centre nodes.
        concat: concatenate heads (``[N, heads * out]``) or average them (``[N, out]``).
        negative_slope: LeakyReLU slope of both attention levels.
        dropout: dropout on the path attention coefficients (training only).
        bias: add a learnable bias to the output.

    ``forward(x, edge_index, paths=None)``: with ``paths=None`` the layer attends over the
    one-hop paths of ``A + I`` built from ``edge_index`` (a GAT head); otherwise over ``paths``
    (a :class:`PathSet` whose lengths beyond ``max_hops`` are ignored).
    """

    def __init__(self, in_channels: int, out_channels: int, heads: int = 1, max_hops: int = 2,
                 path_pool: str = "max", concat: bool = True, negative_slope: float = 0.2,
                 dropout: float = 0.0, bias: bool = True):
        super().__init__()
        if path_pool not in ("max", "mean"):
            raise ValueError(f"path_pool must be 'max' or 'mean', got {path_pool!r}")
        if max_hops < 1 or heads < 1:
            raise ValueError("max_hops and heads must be ≥ 1")
        self.in_channels, self.out_channels, self.heads = in_channels, out_channels, heads
        self.max_hops, self.path_pool, self.concat = max_hops, path_pool, concat
        self.negative_slope, self.dropout = negative_slope, dropout
        self.lin = nn.Linear(in_channels, heads * out_channels, bias=False)
        self.att_src = nn.Parameter(torch.empty(max_hops, heads, out_channels))
        self.att_dst = nn.Parameter(torch.empty(max_hops, heads, out_channels))
        if max_hops > 1:
            self.att_len_src = nn.Parameter(torch.empty(1, heads, out_channels))
            self.att_len_dst = nn.Parameter(torch.empty(1, heads, out_channels))
        else:
            self.register_parameter("att_len_src", None)
            self.register_parameter("att_len_dst", None)
        size = heads * out_channels if concat else out_channels
        self.bias = nn.Parameter(torch.empty(size)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        glorot(self.lin.weight)
        for p in (self.att_src, self.att_dst, self.att_len_src, self.att_len_dst):
            if p is not None:
                glorot(p)
        zeros(self.bias)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.in_channels}, {self.out_channels}, "
                f"heads={self.heads}, max_hops={self.max_hops}, path_pool={self.path_pool!r})")

    def forward(self, x: Tensor, edge_index: Tensor, paths: PathSet | None = None,
                return_attention_weights: bool = False) -> Tensor | tuple:
        if x.dim() != 2 or x.size(1) != self.in_channels:
            raise ValueError(f"x must have shape [N, {self.in_channels}], got {tuple(x.shape)}")
        n = x.size(0)
        if paths is None:
            paths = PathSet.from_edge_index(edge_index, n)
        elif paths.num_nodes != n:
            raise ValueError(f"paths were built for {paths.num_nodes} nodes, x has {n}")
        hops = min(paths.max_hops, self.max_hops)
        g = self.lin(x).view(n, self.heads, self.out_channels)

        pooled, alphas = [], []
        for c in range(hops):
            center, nodes = paths.center[c], paths.nodes[c]
            feats = g[nodes]                                    # [P, c, H, F]
            phi = feats.amax(dim=1) if self.path_pool == "max" else feats.mean(dim=1)
            e = (phi * self.att_src[c]).sum(-1) + (g[center] * self.att_dst[c]).sum(-1)
            alpha = softmax(F.leaky_relu(e, self.negative_slope), center, num_nodes=n)
            alphas.append(alpha)
            alpha = F.dropout(alpha, self.dropout, self.training)
            pooled.append(scatter(phi * alpha.unsqueeze(-1), center, dim=0, dim_size=n,
                                  reduce="sum"))                # [N, H, F]
        if hops == 1:
            out, beta = pooled[0], None
        else:
            u = torch.stack(pooled, dim=1)                      # [N, C, H, F]
            s = (u * self.att_len_src).sum(-1) + (g * self.att_len_dst).sum(-1).unsqueeze(1)
            beta = torch.softmax(F.leaky_relu(s, self.negative_slope), dim=1)   # [N, C, H]
            out = (beta.unsqueeze(-1) * u).sum(dim=1)
        out = out.reshape(n, -1) if self.concat else out.mean(dim=1)
        if self.bias is not None:
            out = out + self.bias
        if return_attention_weights:
            return out, (paths.restrict(hops), alphas, beta)
        return out



def copy_gat(gat: GATConv, spa: SPAConv) -> None:
    with torch.no_grad():
        for name in ("lin", "lin_src", "lin_dst"):
            if getattr(gat, name) is not None:
                getattr(spa, name).weight.copy_(getattr(gat, name).weight)
        spa.att_src[0].copy_(gat.att_src[0])
        spa.att_dst[0].copy_(gat.att_dst[0])
        spa.bias.copy_(gat.bias)


@pytest.mark.parametrize("pool", ["max", "mean"])
@pytest.mark.parametrize("concat", [True, False])
@pytest.mark.parametrize("with_paths", [True, False])
def test_same_seed_same_weights_outputs_and_gradients_as_the_old_layer(pool, concat, with_paths):
    x, ei, cost = random_graph(n=30, e=120)
    paths = ShortestPathSampler(max_hops=3, degree_ratio=1.0)(ei, cost, 30) if with_paths else None
    torch.manual_seed(11)
    old = OldSPAConv(6, 4, heads=3, max_hops=3, path_pool=pool, concat=concat, dropout=0.3)
    torch.manual_seed(11)
    new = SPAConv(6, 4, heads=3, max_hops=3, path_pool=pool, concat=concat, dropout=0.3)
    assert old.state_dict().keys() == new.state_dict().keys()
    for k, v in old.state_dict().items():          # same random stream -> same initial weights
        assert torch.equal(v, new.state_dict()[k]), k
    for training in (False, True):
        old.train(training), new.train(training)
        xs = [x.clone().requires_grad_(), x.clone().requires_grad_()]
        torch.manual_seed(5)
        out_old = old(xs[0], ei, paths)
        torch.manual_seed(5)
        out_new = new(xs[1], ei, paths)
        torch.testing.assert_close(out_new, out_old, atol=1e-6, rtol=1e-5)
        w = torch.randn_like(out_old)
        (out_old * w).sum().backward()
        (out_new * w).sum().backward()
        torch.testing.assert_close(xs[1].grad, xs[0].grad, atol=1e-6, rtol=1e-5)
        for (name, p_old), p_new in zip(old.named_parameters(), new.parameters(), strict=True):
            g_old = torch.zeros_like(p_old) if p_old.grad is None else p_old.grad
            torch.testing.assert_close(p_new.grad, g_old, atol=1e-6, rtol=1e-5, msg=name)
        old.zero_grad(), new.zero_grad()


def test_attention_weights_unpack_like_gatconv_and_keep_path_attention():
    torch.manual_seed(0)
    x, ei, cost = random_graph()
    gat = GATConv(6, 4, heads=3).eval()
    spa = SPAConv(6, 4, heads=3).eval()
    copy_gat(gat, spa)
    out_g, (ei_g, alpha_g) = gat(x, ei, return_attention_weights=True)
    out_s, (ei_s, alpha_s) = spa(x, ei, return_attention_weights=True)
    torch.testing.assert_close(out_s, out_g, atol=1e-6, rtol=1e-5)
    assert torch.equal(ei_s, ei_g)
    torch.testing.assert_close(alpha_s, alpha_g, atol=1e-6, rtol=1e-5)
    paths = ShortestPathSampler(max_hops=2)(ei, cost, x.size(0))
    _, att = spa(x, ei, paths, return_attention_weights=True)
    edge_index, alpha = att
    assert torch.equal(edge_index, torch.stack([paths.nodes[0][:, 0], paths.center[0]]))
    assert alpha is att.path_alpha[0] and len(att.path_alpha) == 2
    assert att.length_beta.shape == (x.size(0), 2, 3)


def test_bipartite_input_matches_gatconv():
    torch.manual_seed(1)
    x_src, x_dst = torch.randn(12, 5), torch.randn(7, 3)
    ei = torch.stack([torch.randint(12, (40,)), torch.randint(7, (40,))])
    gat = GATConv((5, 3), 4, heads=2, add_self_loops=False).eval()
    spa = SPAConv((5, 3), 4, heads=2, add_self_loops=False).eval()
    copy_gat(gat, spa)
    torch.testing.assert_close(spa((x_src, x_dst), ei), gat((x_src, x_dst), ei), atol=1e-6,
                               rtol=1e-5)
    # the reproducer: shared weights, destination = first nodes, self loops added
    x, ei, _ = random_graph(n=5, e=12, f=5)
    gat, spa = GATConv(5, 4).eval(), SPAConv(5, 4).eval()
    copy_gat(gat, spa)
    torch.testing.assert_close(spa((x, x[:3]), ei[:, ei[1] < 3]), gat((x, x[:3]), ei[:, ei[1] < 3]),
                               atol=1e-6, rtol=1e-5)
    paths = ShortestPathSampler()(ei, torch.rand(ei.size(1)), 5)
    with pytest.raises(ValueError, match="bipartite"):
        spa((x, x), ei, paths)


def test_lazy_in_channels():
    x, ei, cost = random_graph()
    paths = ShortestPathSampler()(ei, cost, x.size(0))
    conv = SPAConv(-1, 4, heads=2)
    out = conv(x, ei, paths)
    assert out.shape == (x.size(0), 8) and conv.lin.weight.shape == (8, 6)
    model = SPAGAN(-1, 4, 3, heads=(2, 1))
    assert model(x, ei, paths).shape == (x.size(0), 3)


@pytest.mark.parametrize("layout", ["coo", "csr"])
def test_sparse_adjacency_in_place_of_edge_index(layout):
    torch.manual_seed(2)
    x, ei, _ = random_graph()
    to_sparse = to_torch_coo_tensor if layout == "coo" else to_torch_csr_tensor
    adj_t = to_sparse(ei.flip(0), size=(x.size(0), x.size(0)))     # PyG's transposed convention
    gat, spa = GATConv(6, 4, heads=2).eval(), SPAConv(6, 4, heads=2).eval()
    copy_gat(gat, spa)
    torch.testing.assert_close(spa(x, adj_t), spa(x, ei), atol=1e-6, rtol=1e-5)
    out_g, (adj_g, alpha_g) = gat(x, adj_t, return_attention_weights=True)
    out_s, (adj_s, alpha_s) = spa(x, adj_t, return_attention_weights=True)
    torch.testing.assert_close(out_s, out_g, atol=1e-6, rtol=1e-5)
    dense = torch.zeros(x.size(0), x.size(0), 2)       # adj_t[i, j, head] = alpha of j -> i
    _, (ei_s, a_s) = spa(x, ei, return_attention_weights=True)
    dense[ei_s[1], ei_s[0]] = a_s
    assert adj_s.layout == adj_t.layout
    torch.testing.assert_close(adj_s.to_dense(), dense, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(adj_g.to_dense(), dense, atol=1e-6, rtol=1e-5)


def test_edge_attr_is_refused_with_the_reason():
    x, ei, _ = random_graph()
    conv = SPAConv(6, 4)
    with pytest.raises(ValueError, match="no edge_attr.*paths"):
        conv(x, ei, edge_attr=torch.randn(ei.size(1), 3))
    with pytest.raises(ValueError, match="no edge_attr"):      # GATConv's positional form
        conv(x, ei, torch.randn(ei.size(1), 3))


def test_is_message_passing_and_unused_length_attention_gets_zero_gradient():
    x, ei, _ = random_graph()
    conv = SPAConv(6, 4, heads=2, max_hops=2)
    assert isinstance(conv, MessagePassing)
    conv(x, ei).sum().backward()                     # no paths: only the one-hop parameters act
    for name, p in conv.named_parameters():
        assert p.grad is not None, name
    assert torch.count_nonzero(conv.att_len_src.grad) == 0
    assert torch.count_nonzero(conv.att_len_dst.grad) == 0
    assert torch.count_nonzero(conv.att_src.grad[1]) == 0


def test_ddp_without_find_unused_parameters(tmp_path):
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    x, ei, _ = random_graph()
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0,
                            world_size=1)
    try:
        model = DistributedDataParallel(SPAGAN(6, 4, 3, heads=(2, 1), max_hops=2))
        for _ in range(3):                           # DDP raises at the 2nd step on unused params
            model(x, ei).sum().backward()
    finally:
        dist.destroy_process_group()


def test_twp_accepts_a_spaconv_model_and_reads_its_one_hop_attention():
    from tenfold.continual import TWP
    from tenfold.continual.stream import TaskBatch
    from tenfold.continual.topology import AttentionRecorder

    x, ei, cost = random_graph(n=30, e=120)
    paths = ShortestPathSampler()(ei, cost, 30)
    model = SPAGAN(6, 4, 3, heads=(2, 1))
    model.set_paths(paths)
    model.eval()
    with AttentionRecorder(model) as rec:
        model(x, ei)
    _, (_, alpha) = model.conv1(x, ei, paths, return_attention_weights=True)
    torch.testing.assert_close(rec.attention, alpha)
    batch = TaskBatch(x=x, edge_index=ei, nodes=torch.arange(30), targets=torch.arange(30) % 3,
                      columns=torch.arange(3))
    i_loss, i_topo = TWP().importance_terms(model, batch)
    assert i_topo["conv1.att_src"].abs().sum() > 0 and i_loss["conv1.lin.weight"].abs().sum() > 0


def test_custom_autograd_pieces_pass_gradcheck():
    from tenfold.graph.spagan import _HeadScale, _PathMax

    gen = torch.Generator().manual_seed(0)
    flat = torch.randn(9, 6, dtype=torch.double, generator=gen, requires_grad=True)
    nodes = torch.tensor([[1, 2, 3], [4, 4, 0], [8, 7, 6], [5, 5, 5]])   # last one: a self path
    assert torch.autograd.gradcheck(lambda f: _PathMax.apply(f, nodes[:3]), (flat,))
    out = _PathMax.apply(flat, nodes)
    torch.testing.assert_close(out, flat[nodes].amax(dim=1))
    out.sum().backward()
    assert flat.grad[5].sum() == 6                    # a self path passes its gradient on once
    x = torch.randn(5, 3, 4, dtype=torch.double, generator=gen, requires_grad=True)
    alpha = torch.rand(5, 3, dtype=torch.double, generator=gen, requires_grad=True)
    assert torch.autograd.gradcheck(_HeadScale.apply, (x, alpha))
    assert torch.autograd.gradgradcheck(_HeadScale.apply, (x, alpha))
