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

_ISSUE = "issue #4"
_SPEED_T = Paper(1.40, "one-stage ≥ 1.40× faster per iteration (cost model 1.33–1.50×)")
_DFAD_ACC = Paper(97.0, "DFAD MNIST student ≥ 97 % (paper 98.3 %, best epoch)")
_DFAD_TIME = Paper(0.75, "one-stage reaches two-stage's final accuracy in ≤ 0.75× its time")
_CPU_DFAD = ("CPU scale: batch 128, generator width 32, 600 iterations, k = 5, 1 seed, 1 thread")
_GPU_DFAD = "DFAD's protocol (batch 512, width 128, 2000 iterations), k = 5, 1 seed, one H200"


def _speed(id_: str, source: str, ours: str, arm: str = "one-stage",
           metric: str = "ms_per_iter_median") -> Claim:
    return Claim(id=id_, method="osgan", dataset="mnist", target=_ISSUE,
                 claim="One-stage training is at least 1.40× faster per iteration than "
                       "two-stage.", metric=metric, higher_is_better=False, kind="ratio",
                 arm=arm, baseline="two-stage", paper=_SPEED_T, protocol=_SPEED, ours=ours,
                 results=(source,), unit="×")


def _dfad(id_: str, claim: str, metric: str, paper: Paper, source: str, ours: str,
          scale: float = 1.0, unit: str = "×", higher: bool = False) -> Claim:
    return Claim(id=id_, method="osgan", recipe="dfad", dataset="mnist", target=_ISSUE,
                 claim=claim, metric=metric, higher_is_better=higher, kind="value",
                 arm="one-stage-k5", paper=paper,
                 protocol="MNIST, LeNet-5 teacher → LeNet-5-half, data-free (DFAD)", ours=ours,
                 results=(source,), scale=scale, unit=unit)


TARGETS = (
    _speed("osgan-target-speed-w32-nonsaturating", "osgan_speed.json#nonsaturating",
           "DCGAN-32 width 32, non-saturating loss, median ms/iteration, 1 seed, CPU"),
    _speed("osgan-target-speed-w32-minimax", "osgan_speed.json#minimax",
           "DCGAN-32 width 32, minimax loss, 1 seed, CPU"),
    _speed("osgan-target-speed-w16-nonsaturating", "osgan_speed_ch16.json#nonsaturating",
           "DCGAN-32 width 16, non-saturating loss, 1 seed, CPU"),
    _speed("osgan-target-speed-w16-minimax", "osgan_speed_ch16.json#minimax",
           "DCGAN-32 width 16, minimax loss, 1 seed, CPU"),
    _speed("osgan-target-speed-long-lrd2e-4", "osgan_quality_long_lrd2e-4.json",
           "training time of the 1500-iteration quality runs, width 16, D lr 2e-4, 3 seeds, CPU",
           arm="one-stage-lrd0.0002", metric="equal_iters.train_s"),
    _speed("osgan-target-speed-long-lrd5e-5", "osgan_quality_long.json",
           "training time of the 1500-iteration quality runs, width 16, D lr 5e-5, 3 seeds, CPU",
           arm="one-stage-lrd5e-05", metric="equal_iters.train_s"),
    _speed("osgan-target-speed-gpu-nonsaturating", "osgan_speed_gpu.json#nonsaturating",
           "width 64, batch 128, non-saturating loss, 1 seed, one H200"),
    _speed("osgan-target-speed-gpu-minimax", "osgan_speed_gpu.json#minimax",
           "width 64, batch 128, minimax loss, 1 seed, one H200"),
    Claim(id="osgan-target-quality-lrd2e-4", method="osgan", dataset="mnist", target=_ISSUE,
          claim="At equal wall time one-stage's Fréchet distance is at most two-stage's "
                "(≥ 3 seeds); D learning rate 2e-4, chosen on validation FD.",
          metric="equal_time.fd_test", higher_is_better=False, kind="difference",
          arm="one-stage-lrd0.0002", baseline="two-stage",
          paper=Paper(0.0, "one-stage FD at equal wall time ≤ two-stage's, ≥ 3 seeds"),
          protocol="MNIST, width 16, classifier-feature FD on the test set",
          ours="1500 two-stage iterations' time, 3 paired seeds, CPU",
          results=("osgan_quality_long_lrd2e-4.json",)),
    Claim(id="osgan-target-quality-lrd5e-5", method="osgan", dataset="mnist", target=_ISSUE,
          claim="The same with D learning rate 5e-5.",
          metric="equal_time.fd_test", higher_is_better=False, kind="difference",
          arm="one-stage-lrd5e-05", baseline="two-stage",
          paper=Paper(0.0, "one-stage FD at equal wall time ≤ two-stage's, ≥ 3 seeds"),
          protocol="MNIST, width 16, classifier-feature FD on the test set",
          ours="1500 two-stage iterations' time, 3 paired seeds, CPU",
          results=("osgan_quality_long.json",)),
    _dfad("dfad-target-student-cpu", "The one-stage data-free student reaches 97 % on MNIST "
          "(best over the run).", "test_acc_best", _DFAD_ACC, "dfad.json", _CPU_DFAD,
          scale=100, unit="%", higher=True),
    _dfad("dfad-target-student-gpu", "The one-stage data-free student reaches 97 % on MNIST "
          "(best over the run).", "test_acc_best", _DFAD_ACC, "dfad_gpu.json", _GPU_DFAD,
          scale=100, unit="%", higher=True),
    _dfad("dfad-target-time-final-cpu", "One-stage reaches two-stage's final accuracy in at "
          "most 0.75× of two-stage's wall time (literal measure).",
          "time_to_two_stage_final.ratio", _DFAD_TIME, "dfad.json", _CPU_DFAD),
    _dfad("dfad-target-time-90-cpu", "One-stage reaches 90 % test accuracy in at most 0.75× of "
          "two-stage's wall time to 90 %.", "time_to_0.90.ratio", _DFAD_TIME, "dfad.json",
          _CPU_DFAD),
    _dfad("dfad-target-time-95-cpu", "The same to 95 %.", "time_to_0.95.ratio", _DFAD_TIME,
          "dfad.json", _CPU_DFAD),
    _dfad("dfad-target-time-final-gpu", "One-stage reaches two-stage's final accuracy in at "
          "most 0.75× of two-stage's wall time (literal measure; two-stage ends low).",
          "time_to_two_stage_final.ratio", _DFAD_TIME, "dfad_gpu.json", _GPU_DFAD),
    _dfad("dfad-target-time-90-gpu", "One-stage reaches 90 % test accuracy in at most 0.75× of "
          "two-stage's wall time to 90 %.", "time_to_0.90.ratio", _DFAD_TIME, "dfad_gpu.json",
          _GPU_DFAD),
    _dfad("dfad-target-time-95-gpu", "The same to 95 %.", "time_to_0.95.ratio", _DFAD_TIME,
          "dfad_gpu.json", _GPU_DFAD),
)
