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

_ISSUE = "issue #8"
_CORA = "Cora, GCN, task-IL (the `quick` preset on Cora), 3 paired seeds, CPU"
_E200 = ("twp_computers_gat_task_whole_e200_s*.json",)
_E100 = ("twp_computers_gat_task_whole_e100_beta0_s*.json",)
_SUB60 = "task subgraphs, 60 epochs a task"


def _target(id_: str, claim: str, metric: str, paper: Paper, results: tuple[str, ...],
            ours: str, arm: str = "twp", baseline: str | None = None, higher: bool = True,
            dataset: str = "computers", **kw) -> Claim:
    return Claim(id=id_, method="twp", dataset=dataset, target=_ISSUE, claim=claim,
                 metric=metric, higher_is_better=higher,
                 kind="value" if baseline is None else "difference", arm=arm,
                 baseline=baseline, paper=paper,
                 protocol="task-incremental; AP = mean accuracy after the last task, AF = mean "
                          "forgetting", ours=ours, results=results,
                 unit="%" if baseline is None and metric == "ap" else " points", **kw)


_AP93 = Paper(93.0, "Cora, GCN, task-IL, seeds 0–2: TWP AP ≥ 93 with |AF| ≤ 2")
_AF2_CORA = Paper(2.0, "Cora, GCN, task-IL, seeds 0–2: TWP AP ≥ 93 with |AF| ≤ 2")
_AP95 = Paper(95.0, "Amazon Computers, GAT, task-IL, ≥ 3 seeds: TWP AP ≥ 95, AF ≤ 2")
_AF2 = Paper(2.0, "Amazon Computers, GAT, task-IL, ≥ 3 seeds: TWP AP ≥ 95, AF ≤ 2")
_BELOW = Paper(0.0, "Computers: TWP's AF below EWC's and fine-tune's, paired seeds")

TARGETS = (
    _target("twp-target-cora-ap", "On Cora TWP's AP reaches 93 % (β = 0, the default).", "ap",
            _AP93, ("twp_cora_gcn_task_beta0.json",), _CORA + ", β = 0", dataset="cora"),
    _target("twp-target-cora-af", "On Cora TWP forgets at most 2 points (β = 0).", "af",
            _AF2_CORA, ("twp_cora_gcn_task_beta0.json",), _CORA + ", β = 0", higher=False,
            dataset="cora"),
    _target("twp-target-cora-ap-beta001", "On Cora TWP's AP reaches 93 % (differentiable "
            "β = 0.01).", "ap", _AP93, ("twp_cora_gcn_task.json",), _CORA + ", β = 0.01",
            dataset="cora"),
    _target("twp-target-cora-af-beta001", "On Cora TWP forgets at most 2 points (β = 0.01).",
            "af", _AF2_CORA, ("twp_cora_gcn_task.json",), _CORA + ", β = 0.01", higher=False,
            dataset="cora"),
    _target("twp-target-cora-finetune-forgets", "On Cora fine-tuning forgets at least 10 "
            "points (the stream is hard enough to show forgetting).", "af",
            Paper(10.0, "Cora: fine-tune forgets ≥ 10 points"),
            ("twp_cora_gcn_task_beta0.json",), _CORA, arm="finetune", dataset="cora"),
    _target("twp-target-cora-vs-mas", "On Cora TWP's AP is above MAS's on every seed (where "
            "TWP does / does not beat MAS).", "ap", Paper(0.0, "Cora: where TWP does / does "
            "not beat MAS"), ("twp_cora_gcn_task_beta0.json",), _CORA + ", β = 0",
            baseline="mas", dataset="cora", every_seed=True),
    _target("twp-target-cora-no-topo", "The λ_t = 0 ablation (no topology term, β = 0) "
            "against EWC: reported (they should be equal).", "ap",
            Paper(None, "Cora: the λ_t = 0 ablation"), ("twp_cora_gcn_task_beta0.json",),
            _CORA + ", β = 0", arm="twp-no-topo", baseline="ewc", dataset="cora"),
    _target("twp-target-computers-ap-e200", "On Amazon Computers TWP's AP reaches 95 % "
            "(whole graph, 200 epochs, β = 0).", "ap", _AP95, _E200,
            "whole graph, 200 epochs a task, β = 0, 3 seeds (one file each), CPU"),
    _target("twp-target-computers-af-e200", "On Amazon Computers TWP forgets at most 2 "
            "points (whole graph, 200 epochs, β = 0).", "af", _AF2, _E200,
            "whole graph, 200 epochs a task, β = 0, 3 seeds, CPU", higher=False),
    _target("twp-target-computers-ap-sub60", "The same AP target on task subgraphs, 60 "
            "epochs, β = 0.", "ap", _AP95, ("twp_computers_gat_task_sub_e60_beta0.json",),
            _SUB60 + ", β = 0, 3 seeds, CPU"),
    _target("twp-target-computers-af-sub60", "The same AF target on task subgraphs, 60 "
            "epochs, β = 0.", "af", _AF2, ("twp_computers_gat_task_sub_e60_beta0.json",),
            _SUB60 + ", β = 0, 3 seeds, CPU", higher=False),
    _target("twp-target-computers-ap-e100", "The same AP target on the whole graph, 100 "
            "epochs, β = 0.", "ap", _AP95, _E100,
            "whole graph, 100 epochs a task, β = 0, 3 seeds (one file each), CPU"),
    _target("twp-target-computers-af-e100", "The same AF target on the whole graph, 100 "
            "epochs, β = 0.", "af", _AF2, _E100,
            "whole graph, 100 epochs a task, β = 0, 3 seeds, CPU", higher=False),
    _target("twp-target-computers-ap-sub60-beta001", "The same AP target with a "
            "differentiable β = 0.01 (task subgraphs, 60 epochs).", "ap", _AP95,
            ("twp_computers_gat_task_sub_e60.json",), _SUB60 + ", β = 0.01, 3 seeds, CPU"),
    _target("twp-target-computers-ap-gpu-beta001", "The same AP target with a differentiable "
            "β = 0.01 (whole graph, 200 epochs).", "ap", _AP95,
            ("twp_computers_gat_task_gpu_beta001.json",),
            "whole graph, 200 epochs a task, β = 0.01, 3 seeds, one H200"),
    _target("twp-target-computers-af-vs-ewc-e200", "On Amazon Computers TWP forgets less than "
            "EWC on every paired seed (whole graph, 200 epochs).", "af", _BELOW, _E200,
            "whole graph, 200 epochs a task, β = 0, 3 paired seeds, CPU", baseline="ewc",
            higher=False, every_seed=True),
    _target("twp-target-computers-af-vs-finetune-e200", "On Amazon Computers TWP forgets less "
            "than fine-tuning on every paired seed (whole graph, 200 epochs).", "af", _BELOW,
            _E200, "whole graph, 200 epochs a task, β = 0, 3 paired seeds, CPU",
            baseline="finetune", higher=False, every_seed=True),
    _target("twp-target-computers-af-vs-ewc-e100", "The same against EWC at 100 epochs.", "af",
            _BELOW, _E100, "whole graph, 100 epochs a task, β = 0, 3 paired seeds, CPU",
            baseline="ewc", higher=False, every_seed=True),
    _target("twp-target-computers-af-vs-finetune-e100", "The same against fine-tuning at 100 "
            "epochs.", "af", _BELOW, _E100,
            "whole graph, 100 epochs a task, β = 0, 3 paired seeds, CPU",
            baseline="finetune", higher=False, every_seed=True),
)
