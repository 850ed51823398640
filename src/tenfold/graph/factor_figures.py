"""A picture of learned factor graphs beside the true ones (FactorGCN, arXiv 2010.05421);
matplotlib and networkx, returns the figure and saves nothing."""

from __future__ import annotations

from torch import Tensor

from tenfold.graph.disentangle import factor_adjacency

__all__ = ["factor_graph_figure"]


def factor_graph_figure(batch, factors: Tensor, num_graphs: int, factor_names=None):
    """For the first ``num_graphs`` graphs: the true factor graphs (top) beside the learned ones.

    Learned factor ``k`` is drawn on the union graph with edge width and opacity proportional to
    its symmetrised weight ``(e_uv + e_vu) / 2``; self loops are not drawn. ``batch`` needs
    ``gt_edge_factor``; ``factor_names`` label the true factors. Returns the matplotlib
    ``Figure`` (the caller saves and closes it).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import networkx as nx

    num_graphs = min(num_graphs, batch.num_graphs)
    k = factors.size(1)
    f_true = batch.gt_edge_factor.size(1)
    cols = max(k, f_true)
    fig, axes = plt.subplots(2 * num_graphs, cols, figsize=(2.2 * cols, 4.4 * num_graphs),
                             squeeze=False)
    for g in range(num_graphs):
        sel = (batch.batch[batch.edge_index[0]] == g).nonzero().view(-1)
        start, n = int(batch.ptr[g]), int(batch.ptr[g + 1] - batch.ptr[g])
        ei = (batch.edge_index[:, sel] - start).cpu()
        true_adj = factor_adjacency(ei, batch.gt_edge_factor[sel].cpu().float(), n)
        pred_adj = factor_adjacency(ei, factors[sel].cpu(), n)
        union = nx.from_numpy_array((true_adj.sum(0) > 0).numpy().astype(float))
        pos = nx.circular_layout(union)
        for row, adj, label in ((2 * g, true_adj, "true"), (2 * g + 1, pred_adj, "learned")):
            for c in range(cols):
                ax = axes[row][c]
                ax.axis("off")
                if c >= adj.size(0) or (label == "true" and adj[c].sum() == 0):
                    continue
                edges = list(union.edges())
                w = [float(adj[c][u, v]) for u, v in edges]
                top = max(w) if w and max(w) > 0 else 1.0
                nx.draw_networkx_nodes(union, pos, ax=ax, node_size=18, node_color="#333333")
                nx.draw_networkx_edges(union, pos, ax=ax, edgelist=edges,
                                       width=[2.5 * x / top for x in w],
                                       alpha=None, edge_color=[(0.2, 0.3, 0.7, min(1.0, x / top))
                                                               for x in w])
                name = (factor_names[c] if factor_names else f"factor {c}") \
                    if label == "true" else f"channel {c}"
                ax.set_title(f"graph {g}, {label}: {name}", fontsize=8)
    fig.tight_layout()
    return fig
