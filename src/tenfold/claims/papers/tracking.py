"""Tracking-by-counting (arXiv 2007.09509). The paper's tables were not retrieved (the spec:
"MOTA, IDF1 and IDsw tables: unknown"); its abstract claims that jointly modelling detection,
counting and tracking as one network-flow program beats tracking-by-detection in crowds."""

from tenfold.claims.model import Claim, Paper

_PAPER = Paper(None, "abstract only, no number (tables not retrieved)")
_PROTOCOL = "crowded scenes (PETS2009, UCSD, cells, fish), MOTA / IDF1"
_OURS = ("synthetic crowd, 32 × 32 grid, 20 frames, 40 targets, the same density maps for every "
         "tracker, 3 paired seeds, CPU")
_FILE = ("tracking.json#synthetic-40",)

CLAIMS = (
    Claim(id="tracking-crowd-mota", method="tracking", dataset="synthetic-crowd",
          claim="In a crowd, tracking-by-counting reaches a higher MOTA than "
                "tracking-by-detection (density peaks linked by the Hungarian method).",
          metric="mota", higher_is_better=True, kind="difference", arm="counting",
          baseline="peaks_hungarian", paper=_PAPER, protocol=_PROTOCOL, ours=_OURS,
          results=_FILE),
    Claim(id="tracking-crowd-idf1", method="tracking", dataset="synthetic-crowd",
          claim="In a crowd, tracking-by-counting keeps identities better (IDF1) than "
                "tracking-by-detection (density peaks linked by the Hungarian method).",
          metric="idf1", higher_is_better=True, kind="difference", arm="counting",
          baseline="peaks_hungarian", paper=_PAPER, protocol=_PROTOCOL, ours=_OURS,
          results=_FILE),
)

_ISSUE = "issue #18"
_PETS_OURS = ("PETS09-S2L1, the public detections rendered as density, all 795 frames, one "
              "deterministic run, CPU")
_NET_OURS = ("PETS09-S2L1, a density FCN trained 8 epochs on the first half, tested on the "
             "second, one run, CPU")
_TUD_OURS = "TUD-Stadtmitte ground truth rendered as density (semi-synthetic), 3 seeds, CPU"
_REPORT = Paper(None, "MOTA and IDF1 against both baselines")


def _target(id_: str, claim: str, metric: str, paper: Paper, source: str, ours: str,
            dataset: str, arm: str = "counting", baseline: str | None = None,
            higher: bool = True, **kw) -> Claim:
    return Claim(id=id_, method="tracking", dataset=dataset, target=_ISSUE, claim=claim,
                 metric=metric, higher_is_better=higher,
                 kind="value" if baseline is None else "difference", arm=arm,
                 baseline=baseline, paper=paper, protocol=_PROTOCOL, ours=ours,
                 results=(source,), **kw)


def _versus(prefix: str, metric: str, source: str, ours: str, dataset: str,
            paper: Paper = _REPORT, arm: str = "counting", suffix: str = "") -> tuple[Claim, ...]:
    names = {"peaks_hungarian": "peaks + Hungarian", "peaks_flow": "peaks + min-cost flow"}
    return tuple(_target(f"{prefix}-{metric}-vs-{b.replace('_', '-')}",
                         f"Tracking-by-counting's {metric.upper()} against {names[b]} "
                         "(reported).", metric, paper, source, ours, dataset, arm=arm,
                         baseline=b + suffix) for b in names)


TARGETS = (
    _target("tracking-target-crowd40-mota", "In the synthetic crowd of 40 targets "
            "tracking-by-counting reaches MOTA 0.80.", "mota",
            Paper(0.80, "synthetic, 40 targets: MOTA ≥ 0.80 and ≥ +0.10 over peaks + "
                        "Hungarian"), "tracking.json#synthetic-40", _OURS, "synthetic-crowd"),
    _target("tracking-target-crowd40-vs-hungarian", "… and at least 0.10 MOTA above peaks + "
            "Hungarian.", "mota", Paper(0.10, "synthetic, 40 targets: MOTA ≥ 0.80 and ≥ +0.10 "
                                              "over peaks + Hungarian"),
            "tracking.json#synthetic-40", _OURS, "synthetic-crowd", baseline="peaks_hungarian"),
    *(_target(f"tracking-target-crowd60-vs-{b.replace('_', '-')}", "In the synthetic crowd "
              f"of 60 targets tracking-by-counting's MOTA is above {b}'s on every seed.",
              "mota", Paper(0.0, "synthetic, 60 targets: MOTA above both baselines on every "
                                 "seed"), "tracking.json#synthetic-60",
              _OURS.replace("40 targets", "60 targets"), "synthetic-crowd", baseline=b,
              every_seed=True) for b in ("peaks_hungarian", "peaks_flow")),
    *_versus("tracking-target-pets", "mota", "tracking.json#pets", _PETS_OURS, "pets09"),
    *_versus("tracking-target-pets", "idf1", "tracking.json#pets", _PETS_OURS, "pets09"),
    *_versus("tracking-target-pets", "hota", "tracking.json#pets", _PETS_OURS, "pets09"),
    _target("tracking-target-pets-cpu", "The full PETS09 sequence (795 frames) is tracked in "
            "at most 10 minutes on 2 cores (CPU seconds of the counting tracker).", "cpu_s",
            Paper(600.0, "full PETS09 (795 frames) ≤ 10 minutes on 2 cores"),
            "tracking.json#pets", _PETS_OURS, "pets09", higher=False, unit=" s"),
    *_versus("tracking-target-pets-net", "mota", "tracking.json#pets_net", _NET_OURS, "pets09",
             paper=Paper(None, "PETS09-S2L1 with a density network trained on the first half"),
             arm="counting_net", suffix="_net"),
    *_versus("tracking-target-tud", "mota", "tracking.json#tud", _TUD_OURS, "tud-stadtmitte",
             paper=Paper(None, "TUD-Stadtmitte rendered as density (semi-synthetic)")),
    *_versus("tracking-target-tud", "idf1", "tracking.json#tud", _TUD_OURS, "tud-stadtmitte",
             paper=Paper(None, "TUD-Stadtmitte rendered as density (semi-synthetic)")),
)
