"""TWP (arXiv 2012.06002, AAAI 2021): GAT backbone, task-incremental, the official README's
tables (the spec: not cross-checked against the PDF). AP, AF in percent."""

from tenfold.claims.model import Claim, Paper

_COMPUTERS = ("Amazon Computers, 5 tasks of 2 classes, GAT, whole graph, 200 epochs a task; AP = "
              "mean accuracy after the last task, AF = mean forgetting")
_OURS = "3 paired seeds (one file per seed), β = 0 (the official code's effective β), CPU"
_FILES = ("twp_computers_gat_task_whole_e200_s*.json",)

CLAIMS = (
    Claim(id="twp-computers-ap", dataset="computers", method="twp",
          claim="TWP reaches an average performance of 97.3 % on Amazon Computers.",
          metric="ap", higher_is_better=True, kind="value", arm="twp",
          paper=Paper(97.3, "README table (mean ± std)", (96.7, 97.9)),
          protocol=_COMPUTERS, ours=_OURS, results=_FILES, unit="%"),
    Claim(id="twp-computers-af-vs-finetune", dataset="computers", method="twp",
          claim="TWP forgets 11.7 points less than fine-tuning on Amazon Computers.",
          metric="af", higher_is_better=False, kind="difference", arm="twp",
          baseline="finetune",
          paper=Paper(11.7, "README table", detail="AF TWP 0.6 ± 0.2 vs fine-tune 12.3 ± 12.3"),
          protocol=_COMPUTERS, ours=_OURS, results=_FILES, unit=" points"),
    Claim(id="twp-computers-af-vs-ewc", dataset="computers", method="twp",
          claim="TWP forgets 4.0 points less than EWC on Amazon Computers.",
          metric="af", higher_is_better=False, kind="difference", arm="twp", baseline="ewc",
          paper=Paper(4.0, "README table", detail="AF TWP 0.6 ± 0.2 vs EWC 4.6 ± 4.5"),
          protocol=_COMPUTERS, ours=_OURS, results=_FILES, unit=" points"),
    Claim(id="twp-computers-ap-vs-finetune", dataset="computers", method="twp",
          claim="TWP's average performance is 10.8 points above fine-tuning's on Amazon "
                "Computers.",
          metric="ap", higher_is_better=True, kind="difference", arm="twp", baseline="finetune",
          paper=Paper(10.8, "README table", detail="AP TWP 97.3 ± 0.6 vs fine-tune 86.5 ± 8.0"),
          protocol=_COMPUTERS, ours=_OURS, results=_FILES, unit=" points"),
    Claim(id="twp-corafull-ap", method="twp",
          claim="TWP reaches an average performance of 89.0 % on CoraFull.",
          metric="ap", higher_is_better=True, kind="value", arm="twp",
          paper=Paper(89.0, "README table (mean ± std)", (88.2, 89.8)),
          protocol="CoraFull, 9 tasks of 7 classes, GAT", unit="%",
          not_run="CoraFull is not in the offline data mirror (Cora is: see docs/methods/twp.md)"),
)
