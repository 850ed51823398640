"""SPAGAN (arXiv 2101.03464, IJCAI 2019): Planetoid node classification, Table 2.

The paper's numbers are from the spec's reading of the paper's table (marked there as not
verified against the PDF)."""

from tenfold.claims.model import Claim, Paper

_PROTOCOL = ("Planetoid public split, 2 layers, official schedule (GAT warm-up, path "
             "attention), test accuracy at the best validation loss")

CLAIMS = (
    Claim(id="spagan-cora", dataset="cora", method="spagan",
          claim="SPAGAN reaches 83.6 % test accuracy on Cora.",
          metric="test_acc", higher_is_better=True, kind="value", arm="spagan",
          paper=Paper(83.6, "Table 2 (mean ± std)", (83.1, 84.1)),
          protocol=_PROTOCOL, ours="10 seeds, one H100",
          results=("spagan_reproduce_h100.json#cora",), scale=100, unit="%"),
    Claim(id="spagan-cora-vs-gat", dataset="cora", method="spagan",
          claim="SPAGAN beats GAT on Cora by 0.6 points.",
          metric="test_acc", higher_is_better=True, kind="difference", arm="spagan",
          baseline="gat",
          paper=Paper(0.6, "Table 2", (0.1, 1.1), "SPAGAN 83.6 ± 0.5 vs GAT 83.0 ± 0.7"),
          protocol=_PROTOCOL, ours="10 paired seeds, one H100",
          results=("spagan_reproduce_h100.json#cora",), scale=100, unit=" points"),
    Claim(id="spagan-citeseer", dataset="citeseer", method="spagan",
          claim="SPAGAN reaches 73.0 % test accuracy on CiteSeer.",
          metric="test_acc", higher_is_better=True, kind="value", arm="spagan",
          paper=Paper(73.0, "Table 2 (mean ± std)", (72.6, 73.4)),
          protocol=_PROTOCOL, ours="10 seeds, CPU",
          results=("spagan_reproduce.json#citeseer-cpu",), scale=100, unit="%"),
    Claim(id="spagan-citeseer-vs-gat", dataset="citeseer", method="spagan",
          claim="SPAGAN beats GAT on CiteSeer by 0.5 points.",
          metric="test_acc", higher_is_better=True, kind="difference", arm="spagan",
          baseline="gat",
          paper=Paper(0.5, "Table 2", (0.1, 0.9), "SPAGAN 73.0 ± 0.4 vs GAT 72.5 ± 0.7"),
          protocol=_PROTOCOL, ours="10 paired seeds, CPU",
          results=("spagan_reproduce.json#citeseer-cpu",), scale=100, unit=" points"),
    Claim(id="spagan-pubmed", method="spagan",
          claim="SPAGAN reaches 79.6 % test accuracy on PubMed.",
          metric="test_acc", higher_is_better=True, kind="value", arm="spagan",
          paper=Paper(79.6, "Table 2 (mean ± std)", (79.2, 80.0)),
          protocol=_PROTOCOL, scale=100, unit="%",
          not_run="PubMed is not in the offline data mirror"),
)
