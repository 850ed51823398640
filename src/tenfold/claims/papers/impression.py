"""Impression space from a deep template network (arXiv 2007.05441). Only the abstract and the
introduction's opening were read (the spec: "headline numbers not retrieved"; the abstract claims
qualitative results: reconstruction, unpaired translation and synthesis by impression matching,
with no further network training)."""

from tenfold.claims.model import Claim, Paper

_PAPER = Paper(None, "abstract only, no number")
_OURS = ("digits, a small template CNN, the `quick` preset, 3 paired seeds, CPU; "
         "the baselines are ours (the paper's were not read)")
_FILE = ("impression.json",)

CLAIMS = (
    Claim(id="impression-synthesis", method="impression", dataset="digits",
          claim="Images synthesised by impression matching, with no generator trained, teach a "
                "student better than BN-statistics inversion (DeepInversion-style) images.",
          metric="student_acc", higher_is_better=True, kind="difference", arm="impression",
          baseline="deepinversion", paper=_PAPER,
          protocol="image synthesis through impression matching (abstract)", ours=_OURS,
          results=_FILE),
    Claim(id="impression-translation", method="impression", dataset="digits",
          claim="Unpaired translation by impression matching turns an image into the target "
                "class (verifier success) more often than pushing the class score alone "
                "(cross-entropy at 5× the step, which stays less similar to the source).",
          metric="translate_verifier", higher_is_better=True, kind="difference",
          arm="impression", baseline="ce-only-x5", paper=_PAPER,
          protocol="unpaired image translation (abstract)", ours=_OURS, results=_FILE),
)

_ISSUE = "issue 19"
_RETRIEVAL = "digits, 1-NN retrieval on the template's features, 3 paired seeds, CPU"
_RECON = "digits, decoding 64 test images from their impressions, 3 paired seeds, CPU"


def _target(id_: str, claim: str, metric: str, paper: Paper, source: str, ours: str,
            baseline: str, dataset: str = "digits", **kw) -> Claim:
    return Claim(id=id_, method="impression", dataset=dataset, target=_ISSUE, claim=claim,
                 metric=metric, higher_is_better=True, kind="difference", arm="impression",
                 baseline=baseline, paper=paper, protocol="impression space (abstract)",
                 ours=ours, results=(source,), **kw)


_RET = Paper(0.0, "retrieval: impression ≥ penultimate on digits")
_TRANS = Paper(0.0, "translation: verifier success above CE-only at equal or higher SSIM")
_SYNTH = Paper(0.0, "synthesis: student beats DeepInversion-style and noise; gap to real")
_ANCHORS = Paper(None, "reconstruction reported against its anchors; which settings move it")

TARGETS = (
    _target("impression-target-retrieval-depth3", "Retrieval with impressions is at least as "
            "good as with the penultimate features (the `quick` three-stage template).",
            "retrieval_1nn", _RET, "impression_retrieval.json#depth3", _RETRIEVAL,
            "penultimate"),
    _target("impression-target-retrieval-depth4", "The same with a four-stage template.",
            "retrieval_1nn", _RET, "impression_retrieval.json#depth4", _RETRIEVAL,
            "penultimate"),
    _target("impression-target-retrieval-vs-pixels", "Retrieval with impressions is above "
            "retrieval on pixels (three-stage template).", "retrieval_1nn", _RET,
            "impression_retrieval.json#depth3", _RETRIEVAL, "pixels"),
    _target("impression-target-retrieval-cifar10", "Retrieval on CIFAR-10: impressions against "
            "the penultimate features (reported).", "retrieval_1nn",
            Paper(None, "retrieval on CIFAR-10"), "impression_retrieval_cifar10.json#depth3",
            "CIFAR-10, a weak template (0.44 accuracy: 5,000 images, 4 epochs), 3 paired "
            "seeds, CPU", "penultimate", dataset="cifar10"),
    _target("impression-target-translation-verifier", "Translation by impression matching "
            "succeeds (independent verifier) more often than CE-only at 5× the step.",
            "translate_verifier", _TRANS, "impression.json",
            "digits, the `quick` preset, 3 paired seeds, CPU", "ce-only-x5"),
    _target("impression-target-translation-ssim", "… at equal or higher SSIM to the source.",
            "translate_ssim", _TRANS, "impression.json",
            "digits, the `quick` preset, 3 paired seeds, CPU", "ce-only-x5"),
    *(_target(f"impression-target-synthesis-vs-{b}", "A student taught on impression-"
              f"synthesised images beats one taught on {b} images, on every seed.",
              "student_acc", _SYNTH, "impression.json",
              "digits, the `quick` preset, 3 paired seeds, CPU", b, every_seed=True)
      for b in ("deepinversion", "noise")),
    _target("impression-target-synthesis-gap-to-real", "The student's gap to one taught on "
            "100 real images (reported).", "student_acc", Paper(None, _SYNTH.source),
            "impression.json", "digits, the `quick` preset, 3 paired seeds, CPU", "real"),
    _target("impression-target-recon-quick-vs-mean", "Reconstruction at the `quick` budget "
            "(200 steps) against the dataset-mean image (PSNR, dB; reported).", "recon_psnr",
            _ANCHORS, "impression_recon.json#base", _RECON, "mean-image", unit=" dB"),
    _target("impression-target-recon-1000-vs-mean", "Reconstruction at 1,000 steps against "
            "the dataset-mean image (PSNR, dB; reported).", "recon_psnr", _ANCHORS,
            "impression_recon.json#steps1000", _RECON, "mean-image", unit=" dB"),
    _target("impression-target-recon-1000-vs-same-class", "Reconstruction at 1,000 steps "
            "against a random same-class image (PSNR, dB; reported).", "recon_psnr", _ANCHORS,
            "impression_recon.json#steps1000", _RECON, "same-class", unit=" dB"),
    _target("impression-target-recon-depth4-psnr", "Reconstruction with a four-stage template "
            "(1,000 steps) against a random same-class image (PSNR, dB; reported).",
            "recon_psnr", _ANCHORS, "impression_recon.json#steps1000-depth4", _RECON,
            "same-class", unit=" dB"),
    _target("impression-target-recon-depth4-ssim", "The same in SSIM (reported).", "recon_ssim",
            _ANCHORS, "impression_recon.json#steps1000-depth4", _RECON, "same-class"),
)
