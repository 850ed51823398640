"""Impression space from a deep template network (arXiv 2007.05441). Only the abstract and the
introduction's opening were read (the spec: "headline numbers not retrieved"; the abstract claims
qualitative results: reconstruction, unpaired translation and synthesis by impression matching,
and feature similarity revealed by data relations in the impression space, with no further
network training). ``TARGETS``: the acceptance targets of issue 19."""

from tenfold.claims.model import Claim, Paper

_PAPER = Paper(None, "abstract only, no number")
_OURS = ("digits, a small template CNN, the benchmark settings (the former `quick` preset), "
         "3 paired seeds, CPU; the baselines are ours (the paper's were not read)")
_FILE = ("impression.json",)
_C10 = ("impression_cifar10.json",)
_OURS_C10 = ("CIFAR-10 down-sampled to 16 px, a small ResNet template trained on 10,000 images "
             "for 8 epochs on one CPU thread, small decoding budgets, 3 paired seeds")
_RET_FILE = "impression_retrieval.json#depth3"
_RET_C10 = "impression_retrieval_cifar10.json#c10-16px-e8"
_OURS_RET = ("leave-one-out 1-NN class accuracy of 360 test digits, the benchmark template "
             "(3 stages, 6 epochs), 3 paired seeds, CPU")
_OURS_RET_C10 = ("leave-one-out 1-NN class accuracy of 1,000 CIFAR-10 test images at 16 px, a "
                 "small ResNet template (10,000 images, 8 epochs, one CPU thread), 3 paired "
                 "seeds")
_SIMILARITY = "feature similarity revealed by data relations in impression space (abstract)"

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
    Claim(id="impression-retrieval", method="impression", dataset="digits",
          claim="Nearest neighbours in the (z-scored) impression space share the class as often "
                "as in the template's penultimate features.",
          metric="retrieval_1nn", higher_is_better=True, kind="difference", arm="impression",
          baseline="penultimate", paper=_PAPER, protocol=_SIMILARITY, ours=_OURS_RET,
          results=(_RET_FILE,)),
    Claim(id="impression-retrieval-cifar10", method="impression", dataset="cifar10",
          claim="The same on CIFAR-10.",
          metric="retrieval_1nn", higher_is_better=True, kind="difference", arm="impression",
          baseline="penultimate", paper=_PAPER, protocol=_SIMILARITY, ours=_OURS_RET_C10,
          results=(_RET_C10,)),
    Claim(id="impression-synthesis-cifar10", method="impression", dataset="cifar10",
          claim="Impression-matching synthesis teaches a student better than DeepInversion-style "
                "images, on CIFAR-10.",
          metric="student_acc", higher_is_better=True, kind="difference", arm="impression",
          baseline="deepinversion", paper=_PAPER,
          protocol="image synthesis through impression matching (abstract)", ours=_OURS_C10,
          results=_C10),
    Claim(id="impression-translation-cifar10", method="impression", dataset="cifar10",
          claim="Translation by impression matching beats the cross-entropy-only baseline (5× "
                "step) in verifier success, on CIFAR-10 (cat→dog, car→truck, plane→ship).",
          metric="translate_verifier", higher_is_better=True, kind="difference",
          arm="impression", baseline="ce-only-x5", paper=_PAPER,
          protocol="unpaired image translation (abstract)", ours=_OURS_C10, results=_C10),
)

_ISSUE = "issue 19"
_RETRIEVAL = "digits, 1-NN retrieval on the template's features, 3 paired seeds, CPU"
_RECON = "digits, decoding 8 test images from their impressions, 3 paired seeds, CPU"
_OURS_BENCH = "digits, the benchmark settings (the former `quick` preset), 3 paired seeds, CPU"
_OURS_TRANS = ("digits, 48 images per seed (16 per pair: 1→7, 3→8, 0→6), 200 steps, 3 paired "
               "seeds, CPU")


def _target(id_: str, claim: str, metric: str, paper: Paper, source: str, ours: str,
            baseline: str | None, dataset: str = "digits", arm: str = "impression",
            higher: bool = True, **kw) -> Claim:
    return Claim(id=id_, method="impression", dataset=dataset, target=_ISSUE, claim=claim,
                 metric=metric, higher_is_better=higher,
                 kind="value" if baseline is None else "difference", arm=arm,
                 baseline=baseline, paper=paper, protocol="impression space (abstract)",
                 ours=ours, results=(source,), **kw)


_RET = Paper(0.0, "retrieval: impression ≥ penultimate on digits")
_RET_CIFAR = Paper(0.0, "retrieval: impression ≥ penultimate on CIFAR-10")
_TIMING = "impression_timing.json"
_OURS_TIMING = ("3 rounds on the shared 2-core CPU (load noted in the file); the quick preset "
                "in a child process with an empty artefact cache and one torch thread")
# CIFAR-10 retrieval regimes of benchmarks/impression_retrieval.py (template quality is the axis):
# section -> what the template is; 1,000 test images, views chosen on 1,000 training images
_C10_REGIMES = {
    "c10-32px-e4": "32 px, 5,000 images, 4 epochs",
    "c10-16px-depth4-e8": "16 px, four stages, 10,000 images, 8 epochs",
    "c10-32px-e8": "32 px, 10,000 images, 8 epochs",
    "c10-32px-25k-e8": "32 px, 25,000 images, 8 epochs",
    "c10-16px-50k-e8": "16 px, all 50,000 training images, 8 epochs",
    "c10-16px-50k-e15": "16 px, all 50,000 training images, 15 epochs",
}


def _c10_regime(section: str, what: str) -> tuple[Claim, ...]:
    ours = (f"CIFAR-10, a small ResNet template ({what}, one CPU thread), LOO 1-NN of 1,000 "
            "test images, 3 paired seeds")
    return tuple(_target(f"impression-target-retrieval-{section.replace('c10-', 'cifar10-')}"
                         f"{suffix}", f"Retrieval on CIFAR-10 with the template {section} "
                         f"({what}): {label} at least as good as the penultimate features.",
                         "retrieval_1nn", _RET_CIFAR,
                         f"impression_retrieval_cifar10.json#{section}", ours, "penultimate",
                         dataset="cifar10", arm=arm)
                 for suffix, arm, label in (
                     ("", "impression", "impressions"),
                     ("-selected", "impression-selected", "the view chosen on training "
                                                          "images")))


_TRANS = Paper(0.0, "translation: verifier success above CE-only at equal or higher SSIM")
_SYNTH = Paper(0.0, "synthesis: student beats DeepInversion-style and noise; gap to real")
_ANCHORS = Paper(None, "reconstruction reported against its anchors; which settings move it")

TARGETS = (
    _target("impression-target-retrieval-depth3", "Retrieval with impressions is at least as "
            "good as with the penultimate features (the benchmark's three-stage template).",
            "retrieval_1nn", _RET, "impression_retrieval.json#depth3", _RETRIEVAL,
            "penultimate"),
    _target("impression-target-retrieval-depth4", "The same with a four-stage template.",
            "retrieval_1nn", _RET, "impression_retrieval.json#depth4", _RETRIEVAL,
            "penultimate"),
    _target("impression-target-retrieval-vs-pixels", "Retrieval with impressions is above "
            "retrieval on pixels (three-stage template).", "retrieval_1nn", _RET,
            "impression_retrieval.json#depth3", _RETRIEVAL, "pixels"),
    _target("impression-target-retrieval-selected", "The same with the impression view "
            "chosen on training images (of six: z-scored, raw, means only, log σ, balanced, "
            "last stage).", "retrieval_1nn", _RET, "impression_retrieval.json#depth3",
            _RETRIEVAL, "penultimate", arm="impression-selected"),
    _target("impression-target-retrieval-cifar10", "Retrieval on CIFAR-10: impressions at "
            "least as good as the penultimate features.", "retrieval_1nn", _RET_CIFAR,
            _RET_C10, _OURS_RET_C10, "penultimate", dataset="cifar10"),
    _target("impression-target-retrieval-cifar10-selected", "The same with the view chosen on "
            "training images.", "retrieval_1nn", _RET_CIFAR, _RET_C10, _OURS_RET_C10,
            "penultimate", dataset="cifar10", arm="impression-selected"),
    _target("impression-target-retrieval-cifar10-weak", "The same with a weaker template "
            "(5,000 images, 4 epochs: accuracy 0.44).", "retrieval_1nn", _RET_CIFAR,
            "impression_retrieval_cifar10.json#c10-16px-e4", "CIFAR-10 at 16 px, 1,000 test "
            "images, 3 paired seeds, CPU", "penultimate", dataset="cifar10"),
    _target("impression-target-retrieval-cifar10-weak-selected", "The same with the view "
            "chosen on training images.", "retrieval_1nn", _RET_CIFAR,
            "impression_retrieval_cifar10.json#c10-16px-e4", "CIFAR-10 at 16 px, 1,000 test "
            "images, 3 paired seeds, CPU", "penultimate", dataset="cifar10",
            arm="impression-selected"),
    *(row for section, what in _C10_REGIMES.items() for row in _c10_regime(section, what)),
    _target("impression-target-translation-verifier", "Translation by impression matching "
            "succeeds (independent verifier) more often than CE-only at 5× the step, on every "
            "seed.", "translate_verifier", _TRANS, "impression_translation.json", _OURS_TRANS,
            "ce-only-x5", every_seed=True),
    _target("impression-target-translation-ssim", "… at equal or higher SSIM to the source, on "
            "every seed.", "translate_ssim", _TRANS, "impression_translation.json", _OURS_TRANS,
            "ce-only-x5", every_seed=True),
    *(_target(f"impression-target-synthesis-vs-{b}", "A student taught on impression-"
              f"synthesised images beats one taught on {b} images, on every seed.",
              "student_acc", _SYNTH, "impression.json",
              _OURS_BENCH, b, every_seed=True)
      for b in ("deepinversion", "noise")),
    _target("impression-target-synthesis-gap-to-real", "The student's gap to one taught on "
            "100 real images (reported).", "student_acc", Paper(None, _SYNTH.source),
            "impression.json", _OURS_BENCH, "real"),
    _target("impression-target-recon-quick-vs-mean", "Reconstruction at the benchmark budget "
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
    _target("impression-target-quick-cpu", "`tenfold run impression --preset quick` (3 seeds) "
            "takes at most 10 minutes on 2 cores (CPU seconds, first run: templates trained).",
            "cpu_s", Paper(600.0, "`quick` preset ≤ 10 minutes on 2 cores"), _TIMING,
            _OURS_TIMING, None, arm="quick-preset", higher=False, unit=" s"),
    _target("impression-target-decode-timed", "`decode` of a batch of 64 digits at 1,000 "
            "steps, timed (wall seconds, one torch thread; reported).", "wall_s",
            Paper(None, "decode of a batch of 64 digits at 1,000 steps timed"), _TIMING,
            _OURS_TIMING, None, arm="decode", higher=False, unit=" s"),
)
