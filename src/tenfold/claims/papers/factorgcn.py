"""FactorGCN (arXiv 2010.05421, NeurIPS 2020).

Synthetic-task numbers are the spec's recollection of the paper's table (marked "(R)", not
verified); MUTAG and IMDB-B are from the paper's graph-classification table as listed on its
paperswithcode page."""

from tenfold.claims.model import Claim, Paper

_SYN = ("synthetic factor graphs, K = 4, 20,000 graphs, 80 epochs, batch 1000, test micro-F1 at "
        "the best validation epoch")
_TU = "10-fold cross-validation, accuracy (the official code selects the epoch on the test fold)"

CLAIMS = (
    Claim(id="factorgcn-synthetic-vs-gcn", dataset="synthetic-factor-graphs", method="factorgcn",
          claim="FactorGCN's micro-F1 on the synthetic factor graphs is about 0.045 above GCN's.",
          metric="test_f1", higher_is_better=True, kind="difference", arm="factorgcn",
          baseline="gcn",
          paper=Paper(0.045, "synthetic table (recalled, not verified)",
                      detail="FactorGCN ~0.995 vs GCN ~0.95"),
          protocol=_SYN, ours="3 paired seeds, CPU",
          results=("factorgcn.json#synthetic-factor-graphs",)),
    Claim(id="factorgcn-synthetic-ged", dataset="synthetic-factor-graphs", method="factorgcn",
          claim="FactorGCN's factor graphs are closer to the true factors than GAT's "
                "attention (GED_E about 2 lower).",
          metric="ged_e", higher_is_better=False, kind="difference", arm="factorgcn",
          baseline="gat",
          paper=Paper(2.0, "synthetic table (recalled, not verified)",
                      detail="GED_E FactorGCN ~10.6 vs GAT ~12.6"),
          protocol=_SYN, ours="2 paired seeds (GAT ran on seeds 0, 1), CPU",
          results=("factorgcn.json#synthetic-factor-graphs",)),
    Claim(id="factorgcn-mutag", dataset="mutag", method="factorgcn",
          claim="FactorGCN reaches 89.9 % accuracy on MUTAG.",
          metric="test_acc", higher_is_better=True, kind="value", arm="factorgcn",
          paper=Paper(89.9, "graph-classification table (paperswithcode)"),
          protocol=_TU, ours="100 epochs (paper 500), epoch chosen on validation, 2 fold seeds",
          results=("factorgcn.json#mutag",), scale=100, unit="%"),
    Claim(id="factorgcn-imdb-binary", dataset="imdb-binary", method="factorgcn",
          claim="FactorGCN reaches 75.3 % accuracy on IMDB-BINARY.",
          metric="test_acc", higher_is_better=True, kind="value", arm="factorgcn",
          paper=Paper(75.3, "graph-classification table (paperswithcode)"),
          protocol=_TU, ours="30 epochs (paper 500), epoch chosen on validation, 1 fold seed",
          results=("factorgcn.json#imdb-binary",), scale=100, unit="%"),
    Claim(id="factorgcn-zinc", method="factorgcn",
          claim="FactorGCN reaches a test MAE of 0.366 on ZINC.",
          metric="test_mae", higher_is_better=False, kind="value", arm="factorgcn",
          paper=Paper(0.366, "ZINC table (paperswithcode)"),
          protocol="benchmarking-gnns ZINC, 100k-parameter budget",
          not_run="ZINC is not in the offline data mirror"),
)

_ISSUE = "issue #5"
_SYN_FILE = ("factorgcn.json#synthetic-factor-graphs",)
_OFFICIAL = "official scale (20,000 graphs, batch 1000, 80 epochs), paired seeds, CPU"


def _target(id_: str, claim: str, metric: str, paper: Paper, results: tuple[str, ...],
            ours: str, baseline: str | None = None, higher: bool = True,
            dataset: str = "synthetic-factor-graphs", **kw) -> Claim:
    return Claim(id=id_, method="factorgcn", dataset=dataset, target=_ISSUE, claim=claim,
                 metric=metric, higher_is_better=higher,
                 kind="value" if baseline is None else "difference", arm="factorgcn",
                 baseline=baseline, paper=paper, protocol=_SYN if "synthetic" in dataset
                 else _TU, ours=ours, results=results, **kw)


TARGETS = (
    _target("factorgcn-target-f1", "At the official scale FactorGCN's test micro-F1 reaches "
            "0.99 (on the mean over seeds).", "test_f1",
            Paper(0.99, "FactorGCN micro-F1 ≥ 0.99"), _SYN_FILE, _OFFICIAL),
    _target("factorgcn-target-f1-every-seed", "The same on every seed.", "test_f1",
            Paper(0.99, "FactorGCN micro-F1 ≥ 0.99"), _SYN_FILE, _OFFICIAL, every_seed=True),
    _target("factorgcn-target-vs-gcn", "FactorGCN's micro-F1 is at least 0.02 above GCN's on "
            "the same seeds.", "test_f1", Paper(0.02, "FactorGCN ≥ GCN + 0.02, same seeds"),
            _SYN_FILE, _OFFICIAL, baseline="gcn"),
    _target("factorgcn-target-cscore-vs-gat", "FactorGCN's factor graphs score a higher C-score "
            "than GAT's attention.", "c_score", Paper(0.0, "C-score above GAT's"), _SYN_FILE,
            _OFFICIAL + " (GAT ran on seeds 0, 1)", baseline="gat"),
    _target("factorgcn-target-cscore-vs-random", "FactorGCN's C-score is above that of random "
            "edge weights.", "c_score", Paper(0.0, "C-score above random weights"), _SYN_FILE,
            _OFFICIAL, baseline="random-weights"),
    _target("factorgcn-target-ged", "GED_E of FactorGCN's factor graphs, reported next to the "
            "references (random weights; the paper's ≈ 10.6, recalled).", "ged_e",
            Paper(None, "GED_E reported next to the references"), _SYN_FILE, _OFFICIAL,
            higher=False),
    _target("factorgcn-target-ged-vs-random", "GED_E of FactorGCN against random edge weights "
            "(reported).", "ged_e", Paper(None, "GED_E reported next to the references"),
            _SYN_FILE, _OFFICIAL, baseline="random-weights", higher=False),
    _target("factorgcn-target-mutag-vs-gin", "On MUTAG FactorGCN is within the spread of GIN "
            "(at most one fold std, about 6 points, below it).", "test_acc",
            Paper(-6.0, "FactorGCN within the spread of GIN / GCN (fold std 6–10 points)"),
            ("factorgcn.json#mutag",), "10-fold CV, epoch chosen on validation, 100 epochs, "
            "2 fold seeds, CPU", baseline="gin", dataset="mutag", scale=100, unit=" points"),
    _target("factorgcn-target-proteins", "PROTEINS, same protocol: FactorGCN against GIN "
            "(reported).", "test_acc", Paper(None, "same protocol, 4 models, std over folds"),
            ("factorgcn.json#proteins",), "20 epochs, 1 fold seed, CPU", baseline="gin",
            dataset="proteins", scale=100, unit=" points"),
    _target("factorgcn-target-imdb-binary", "IMDB-BINARY, same protocol: FactorGCN against GIN "
            "(reported).", "test_acc", Paper(None, "same protocol, 4 models, std over folds"),
            ("factorgcn.json#imdb-binary",), "30 epochs, 1 fold seed, CPU", baseline="gin",
            dataset="imdb-binary", scale=100, unit=" points"),
    _target("factorgcn-target-quick-vs-gcn", "At the `quick` scale FactorGCN's micro-F1 is "
            "above GCN's on every seed.", "test_f1",
            Paper(0.0, "`quick` preset: FactorGCN ≥ GCN"),
            ("factorgcn.json#synthetic-factor-graphs-quick",),
            "6000 graphs, 25 epochs, batch 100, 3 paired seeds, CPU", baseline="gcn",
            every_seed=True),
)
