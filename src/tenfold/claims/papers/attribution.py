"""Learning propagation rules for attribution maps (arXiv 2010.07210, ECCV 2020). Only the
abstract and the opening of the introduction could be read (no tables, no official code); the
abstract claims state-of-the-art attribution maps from a learned per-pixel backward rule, without
a number we could compare with. Our issue's targets (#17) set the numbers."""

from tenfold.claims.model import Claim, Paper

_PAPER = Paper(None, "abstract only, no number (the body and tables were not retrieved)")
_PROTOCOL = "five datasets, six architectures (details not retrieved)"
_FIT = ("the logistic rule fitted 80 Adam steps (lr 0.1) on a 5x5-smoothed mask with the "
        "class-contrastive term (settings chosen on validation canvases, not the test images), "
        "3 paired seeds, CPU")
_OURS = ("distractor-digits (scikit-learn digits 0-4 with a whole distractor digit 5-9, 32 px), "
         "a 3-stage SmallResNet, 100 test images, " + _FIT)
_OURS_MNIST = ("distractor-mnist (MNIST digits 0-4, shrunk to 12 px, with a whole MNIST distractor "
               "digit 5-9 on a 32 px canvas), a 3-stage SmallResNet, 100 test images, " + _FIT)
_FILE = ("attribution.json",)
_FILE_MNIST = ("attribution_mnist.json",)
_NAMES = {"gradient": "the gradient (saliency)", "guided": "guided backprop",
          "gradcam": "Grad-CAM", "ig": "integrated gradients (32 steps)"}

CLAIMS = tuple(
    Claim(id=f"attribution-energy-vs-{b}", method="attribution", dataset="distractor-digits",
          claim=f"Maps from the learned propagation rule localise the object better than "
                f"{name} (energy in the ground-truth box).",
          metric="energy", higher_is_better=True, kind="difference", arm="learned", baseline=b,
          paper=_PAPER, protocol=_PROTOCOL, ours=_OURS, results=_FILE)
    for b, name in _NAMES.items())

_ISSUE = "issue #17"
_COST_OURS = ("SmallResNet 8/16/32 with random weights, batch 64 of 32 px images, medians of 5 "
              "interleaved rounds, 3 seeds, 1 CPU thread")


def _target(id_: str, claim: str, metric: str, threshold: float | None, source: str,
            results: tuple[str, ...] = _FILE, arm: str = "learned", baseline: str | None = None,
            higher: bool = True, ours: str = _OURS, dataset: str = "distractor-digits",
            **kw) -> Claim:
    return Claim(id=id_, method="attribution", dataset=dataset, target=_ISSUE,
                 claim=claim, metric=metric, higher_is_better=higher,
                 kind="value" if baseline is None else "difference", arm=arm, baseline=baseline,
                 paper=Paper(threshold, source), protocol=_PROTOCOL, ours=ours,
                 results=results, **kw)


_ENERGY = "energy-in-box ≥ gradient and guided + 0.05, > random + 0.3"
TARGETS = (
    _target("attribution-target-vs-gradient", "The learned rule's energy-in-box is at least "
            "0.05 above the gradient's.", "energy", 0.05, _ENERGY, baseline="gradient"),
    _target("attribution-target-vs-guided", "The learned rule's energy-in-box is at least 0.05 "
            "above guided backprop's.", "energy", 0.05, _ENERGY, baseline="guided"),
    _target("attribution-target-vs-random", "The learned rule's energy-in-box is more than 0.3 "
            "above a random map's.", "energy", 0.3, _ENERGY, baseline="random"),
    _target("attribution-target-vs-ig", "The ambitious target: the learned rule localises at "
            "least as well as integrated gradients.", "energy", 0.0,
            "learned-rule energy ≥ IG's (the ambitious target)", baseline="ig"),
    _target("attribution-target-vs-gradcam", "Where the learned rule stands against Grad-CAM "
            "(energy-in-box).", "energy", None, "report against Grad-CAM",
            baseline="gradcam"),
    _target("attribution-target-cost", "`attribute` costs at most 2× Captum's Saliency per "
            "batch (interleaved in one process).", "time_over_saliency", 2.0,
            "attribute ≤ 2× Saliency, timed interleaved", results=("attribution_cost.json",),
            higher=False, ours=_COST_OURS, unit="×"),
    _target("attribution-target-sanity", "The learned maps change when the classifier's top "
            "layers are randomised (Spearman below 0.5).", "sanity_spearman", 0.5,
            "sanity check: Spearman < 0.5", higher=False),
    _target("attribution-target-sanity-edge", "The edge-detector control fails the sanity check "
            "(Spearman at least 0.5).", "sanity_spearman", 0.5,
            "the edge map must fail the check", arm="edge"),
    *(_target(f"attribution-target-{m.replace('_', '-')}-{a}", f"{a}'s "
              f"{'deletion' if m.startswith('del') else 'insertion'} AUC (reported).", m, None,
              "deletion and insertion AUC reported for every method", arm=a,
              higher=not m.startswith("del"))
      for m in ("deletion_auc", "insertion_auc")
      for a in ("learned", "gradient", "guided", "gradcam", "ig")),
    # the same targets on the real-data option (MNIST digits), reported beside the default
    *(_target(f"attribution-mnist-target-vs-{b}", f"distractor-mnist: the learned rule's "
              f"energy-in-box against {name}.", "energy", t, source, baseline=b,
              results=_FILE_MNIST, ours=_OURS_MNIST, dataset="distractor-mnist")
      for b, name, t, source in (
          ("gradient", "the gradient (at least 0.05 above)", 0.05, _ENERGY),
          ("guided", "guided backprop (at least 0.05 above)", 0.05, _ENERGY),
          ("random", "a random map (more than 0.3 above)", 0.3, _ENERGY),
          ("ig", "integrated gradients (at least level)", 0.0,
           "learned-rule energy ≥ IG's (the ambitious target)"),
          ("gradcam", "Grad-CAM (reported)", None, "report against Grad-CAM"))),
    _target("attribution-mnist-target-sanity", "distractor-mnist: the learned maps change when "
            "the classifier's top layers are randomised (Spearman below 0.5).",
            "sanity_spearman", 0.5, "sanity check: Spearman < 0.5", higher=False,
            results=_FILE_MNIST, ours=_OURS_MNIST, dataset="distractor-mnist"),
)
