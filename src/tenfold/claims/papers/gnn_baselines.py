"""GAT's published accuracies (Veličković et al., ICLR 2018, Table 2), the graph baselines'
reference; measured by ``benchmarks/gnn_baselines.py``."""

from tenfold.claims.model import Claim, Paper

_PROTOCOL = "Planetoid public split, 2-layer GAT (8 heads × 8), 100 runs in the paper"

CLAIMS = (
    Claim(id="gat-cora", dataset="cora", method="gnn-baselines",
          claim="GAT reaches 83.0 % test accuracy on Cora.",
          metric="test_acc", higher_is_better=True, kind="value", arm="gat",
          paper=Paper(83.0, "GAT paper, Table 2 (mean ± std)", (82.3, 83.7)),
          protocol=_PROTOCOL, ours="`paper` preset (≤ 1000 epochs, patience 100), 5 seeds",
          results=("gnn_baselines.json#cora-paper",), scale=100, unit="%"),
    Claim(id="gat-citeseer", dataset="citeseer", method="gnn-baselines",
          claim="GAT reaches 72.5 % test accuracy on CiteSeer.",
          metric="test_acc", higher_is_better=True, kind="value", arm="gat",
          paper=Paper(72.5, "GAT paper, Table 2 (mean ± std)", (71.8, 73.2)),
          protocol=_PROTOCOL, ours="`paper` preset, 5 seeds",
          results=("gnn_baselines.json#citeseer-paper",), scale=100, unit="%"),
)
