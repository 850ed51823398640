"""Attribution maps with learned backward propagation rules (arXiv 2010.07210) and their metrics.

    from tenfold.explain import LearnedPropagation
    expl = LearnedPropagation(model, rule="learned")   # or "gradient" / "guided" / "deconvnet"
    expl.fit(loader, steps=150)                        # trains the rule only; model untouched
    maps = expl.attribute(images, target=None, reduce="abs_sum")   # (B, 1, H, W)
"""

from tenfold.explain.baselines import BASELINES, baseline_map, require_captum
from tenfold.explain.metrics import (
    box_masks,
    curve_auc,
    deletion_insertion_curves,
    edge_map,
    energy_in_box,
    localisation_scores,
    pointing_game,
    randomize_layers,
    spearman,
)
from tenfold.explain.propagation import (
    FunctionalReLUError,
    LearnedPropagation,
    RuleReLU,
    reduce_map,
)
from tenfold.explain.rules import (
    ElementwiseRule,
    FixedRule,
    LogisticRule,
    PropagationRule,
    make_rule,
)

__all__ = [
    "BASELINES", "ElementwiseRule", "FixedRule", "FunctionalReLUError", "LearnedPropagation",
    "LogisticRule", "PropagationRule", "RuleReLU", "baseline_map", "box_masks", "curve_auc",
    "deletion_insertion_curves", "edge_map", "energy_in_box", "localisation_scores",
    "make_rule", "pointing_game", "randomize_layers", "reduce_map", "require_captum", "spearman",
]
