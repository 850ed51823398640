"""SnapMix (arXiv 2012.04846, AAAI 2021): the official README's tables (best-epoch top-1); the
paper's per-method comparison columns could not be read (abstract: "consistently outperforms
existing mixed-based approaches")."""

from tenfold.claims.model import Claim, Paper

_SCRATCH = "CUB-200, ResNet-18 from scratch, 300 epochs, mixing probability 0.5, best epoch"
_OURS = "flowers12 at 48 px, a small ResNet from scratch, 300 epochs, 4 paired seeds, CPU"
_FILES = ("snapmix_accuracy_flowers12_48px_e300_*_s*.json",)

CLAIMS = (
    Claim(id="snapmix-scratch-vs-none", dataset="flowers12", method="snapmix",
          claim="Trained from scratch, SnapMix adds 5.3 points of accuracy over no mixing.",
          metric="best_test_acc", higher_is_better=True, kind="difference", arm="snapmix",
          baseline="none",
          paper=Paper(5.33, "README table (from scratch)", detail="CUB R-18 64.98 → 70.31"),
          protocol=_SCRATCH, ours=_OURS, results=_FILES, unit=" points"),
    Claim(id="snapmix-vs-cutmix", dataset="flowers12", method="snapmix",
          claim="SnapMix outperforms CutMix.",
          metric="best_test_acc", higher_is_better=True, kind="difference", arm="snapmix",
          baseline="cutmix", paper=Paper(None, "abstract only, no number read"),
          protocol=_SCRATCH, ours=_OURS, results=_FILES, unit=" points"),
    Claim(id="snapmix-vs-mixup", dataset="flowers12", method="snapmix",
          claim="SnapMix outperforms MixUp.",
          metric="best_test_acc", higher_is_better=True, kind="difference", arm="snapmix",
          baseline="mixup", paper=Paper(None, "abstract only, no number read"),
          protocol=_SCRATCH, ours=_OURS, results=_FILES, unit=" points"),
    Claim(id="snapmix-cub-r50-pretrained", method="snapmix",
          claim="On CUB with an ImageNet-pretrained ResNet-50 at 448 px SnapMix adds 2.3 points.",
          metric="best_test_acc", higher_is_better=True, kind="difference", arm="snapmix",
          baseline="none",
          paper=Paper(2.26, "README table", detail="85.49 → 87.75"),
          protocol="CUB-200, ImageNet-pretrained ResNet-50, 448 px, 200 epochs",
          unit=" points",
          not_run="needs CUB-200 and ImageNet weights (not in the offline mirror) and a GPU"),
)
