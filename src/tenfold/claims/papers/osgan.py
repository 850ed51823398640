"""OSGAN (arXiv 2103.00430, CVPR 2021) and its one-stage data-free distillation.

Speed: the official README's training-time curves (time to finish, two-stage → one-stage, three
datasets); no FID values or data-free table could be read. The data-free target is DFAD's
MNIST number (the method OSGAN's distillation is built on)."""

from tenfold.claims.model import Claim, Paper

_SPEED = ("DCGAN, time per iteration, two-stage / one-stage (the paper: time to finish "
          "training on CelebA, LSUN Churches, FFHQ)")

CLAIMS = (
    Claim(id="osgan-speed-nonsaturating", dataset="mnist", method="osgan",
          claim="One-stage training is about 1.5× faster than two-stage (non-saturating "
                "DCGAN).",
          metric="ms_per_iter_median", higher_is_better=False, kind="ratio", arm="one-stage",
          baseline="two-stage",
          paper=Paper(1.48, "README training-time curves (3 datasets)", (1.43, 1.59),
                      "CelebA 1.43×, LSUN 1.59×, FFHQ 1.48×"),
          protocol=_SPEED, ours="DCGAN-32 (width 32), MNIST, median ms/iteration, interleaved "
                                "timing, 1 seed, CPU",
          results=("osgan_speed.json#nonsaturating",), unit="×"),
    Claim(id="osgan-speed-minimax", dataset="mnist", method="osgan",
          claim="One-stage training is about 1.5× faster than two-stage (minimax DCGAN).",
          metric="ms_per_iter_median", higher_is_better=False, kind="ratio", arm="one-stage",
          baseline="two-stage",
          paper=Paper(1.54, "README training-time curves (3 datasets)", (1.50, 1.71),
                      "CelebA 1.71×, LSUN 1.50×, FFHQ 1.54×"),
          protocol=_SPEED, ours="DCGAN-32, MNIST, 1 seed, CPU",
          results=("osgan_speed.json#minimax",), unit="×"),
    Claim(id="osgan-speed-gpu", dataset="mnist", method="osgan",
          claim="One-stage training is about 1.5× faster than two-stage on a GPU "
                "(non-saturating DCGAN).",
          metric="ms_per_iter_median", higher_is_better=False, kind="ratio", arm="one-stage",
          baseline="two-stage",
          paper=Paper(1.48, "README training-time curves (3 datasets)", (1.43, 1.59),
                      "CelebA 1.43×, LSUN 1.59×, FFHQ 1.48×"),
          protocol=_SPEED, ours="DCGAN width 64, batch 128, 1 seed, one H200",
          results=("osgan_speed_gpu.json#nonsaturating",), unit="×"),
    Claim(id="osgan-quality-equal-time", dataset="mnist", method="osgan",
          claim="At equal wall time one-stage training reaches a better (lower) Fréchet "
                "distance than two-stage.",
          metric="equal_time.fd_test", higher_is_better=False, kind="difference",
          arm="one-stage-lrd0.0002", baseline="two-stage",
          paper=Paper(None, "README curves only (FID against time), no number read"),
          protocol="DCGAN on CelebA / LSUN / FFHQ, FID",
          ours="MNIST, width 16, classifier-feature FD, 1500 two-stage iterations' time, "
               "3 paired seeds, CPU",
          results=("osgan_quality_long_lrd2e-4.json",)),
    Claim(id="dfad-mnist-student", dataset="mnist", method="osgan",
          claim="One-stage data-free distillation trains an MNIST student to DFAD's 98.3 %.",
          metric="test_acc_best", higher_is_better=True, kind="value", arm="one-stage-k5",
          paper=Paper(98.3, "DFAD's result (VainF repository figure; OSGAN's own data-free "
                            "table not read)", (98.1, 98.5)),
          protocol="MNIST, LeNet-5 teacher → LeNet-5-half, batch 512, 2000 iterations",
          ours="DFAD's protocol, best test accuracy over the run, 1 seed, one H200",
          results=("dfad_gpu.json",), scale=100, unit="%", recipe="dfad"),
)
