"""NetGraft (arXiv 2012.04915, AAAI 2021): few-shot grafting of a VGG16 student, CIFAR-10.

Numbers: the official README (NetGraft rows) and a secondary summary of the paper (teacher and
FSKD); KD's per-shot numbers were not retrieved."""

from tenfold.claims.model import Claim, Paper

_CIFAR = "CIFAR-10, VGG16 teacher → VGG16-graft student, N images per class, 5 runs"
_OURS = ("quarter-width VGG teacher trained 15 epochs (81.2 %), the `paper` step budget, "
         "3 paired seeds, CPU")
_FILE = ("netgraft_cifar10_quarter_cpu.json",)

# The results files hold fractions, as the runs do; scale=100 shows them in % (points).
CLAIMS = (
    Claim(id="netgraft-cifar10-n10-vs-teacher", dataset="cifar10", method="netgraft",
          claim="With 10 images per class the grafted student matches its teacher "
                "(+0.06 points).",
          metric="test_acc_n10", higher_is_better=True, kind="difference", arm="netgraft",
          baseline="teacher",
          paper=Paper(0.06, "README table and the paper's teacher (secondary summary)",
                      (0.0, 0.12), "NetGraft 92.89 ± 0.06 vs teacher 92.83"),
          protocol=_CIFAR, ours=_OURS, results=_FILE, unit=" points", scale=100),
    Claim(id="netgraft-cifar10-n1-vs-kd", dataset="cifar10", method="netgraft",
          claim="With one image per class NetGraft beats knowledge distillation.",
          metric="test_acc_n1", higher_is_better=True, kind="difference", arm="netgraft",
          baseline="kd_kl",
          paper=Paper(None, "no KD number retrieved (the paper's best baseline FSKD: 87.42 vs "
                            "NetGraft 90.74)"),
          protocol=_CIFAR, ours=_OURS, results=_FILE, unit=" points", scale=100),
    Claim(id="netgraft-mnist-n1-vs-kd", dataset="mnist", method="netgraft",
          claim="With one image per class NetGraft beats knowledge distillation (MNIST proxy).",
          metric="test_acc_n1", higher_is_better=True, kind="difference", arm="netgraft",
          baseline="kd_kl",
          paper=Paper(None, "the paper has no MNIST experiment; same claim on a proxy"),
          protocol="MNIST, LeNet-5 teacher → half-width student, same images, prefix and steps",
          ours="3 paired seeds, 1000 steps, CPU", results=("netgraft_mnist.json",),
          unit=" points", scale=100),
    Claim(id="netgraft-cifar10-n1", dataset="cifar10", method="netgraft",
          claim="With one image per class the grafted student reaches 90.74 % on CIFAR-10.",
          metric="test_acc_n1", higher_is_better=True, kind="value", arm="netgraft",
          paper=Paper(90.74, "README table (mean ± std)", (90.25, 91.23)),
          protocol=_CIFAR, ours=_OURS, results=_FILE, unit="%", scale=100),
)

_ISSUE = "issue #7"
_MNIST = ("netgraft_mnist.json",)
_DIGITS = ("netgraft_digits.json",)
_TEACHER2 = Paper(-2.0, "N = 10: NetGraft within 2 points of the teacher")
_MNIST_OURS = "MNIST, LeNet-5 teacher → half-width student, 1000 steps, 3 paired seeds, CPU"
_DIGITS_OURS = ("digits (embedded), default settings (200 + 200 steps per stage), 1000 steps, "
                "3 paired seeds, CPU")


def _target(id_: str, claim: str, metric: str, paper: Paper, results: tuple[str, ...],
            ours: str, dataset: str, baseline: str | None = None, **kw) -> Claim:
    return Claim(id=id_, method="netgraft", dataset=dataset, target=_ISSUE, claim=claim,
                 metric=metric, higher_is_better=kw.pop("higher", True),
                 kind="value" if baseline is None else "difference", arm="netgraft",
                 baseline=baseline, paper=paper,
                 protocol="N images per class; same images, shared prefix and steps for "
                          "every student", ours=ours, results=results,
                 unit=kw.pop("unit", " points"), scale=100, **kw)


def _vs_kd(id_: str, n: int, results: tuple[str, ...], ours: str, dataset: str) -> Claim:
    return _target(id_, f"With N = {n} NetGraft beats KD (same images, prefix, steps).",
                   f"test_acc_n{n}", Paper(0.0, f"N = {n}: NetGraft beats KD"), results, ours,
                   dataset, baseline="kd_kl")


def _size(id_: str, results: tuple[str, ...], ours: str, dataset: str) -> Claim:
    return _target(id_, "The grafted student has at most 40 % of the teacher's parameters.",
                   "params_ratio", Paper(40.0, "student ≤ 40 % of the teacher's parameters"),
                   results, ours, dataset, higher=False, unit="%")


TARGETS = (
    _target("netgraft-target-mnist-n10-vs-teacher", "With N = 10 the grafted student is within "
            "2 points of its teacher (MNIST).", "test_acc_n10", _TEACHER2, _MNIST,
            _MNIST_OURS, "mnist", baseline="teacher"),
    _vs_kd("netgraft-target-mnist-n1-vs-kd", 1, _MNIST, _MNIST_OURS, "mnist"),
    _vs_kd("netgraft-target-mnist-n5-vs-kd", 5, _MNIST, _MNIST_OURS, "mnist"),
    _target("netgraft-target-cifar10-n10-vs-teacher", "With N = 10 the grafted student is "
            "within 2 points of its teacher (CIFAR-10, VGG teacher from scratch).",
            "test_acc_n10", _TEACHER2, _FILE, _OURS, "cifar10", baseline="teacher"),
    _vs_kd("netgraft-target-cifar10-n1-vs-kd", 1, _FILE, _OURS, "cifar10"),
    _vs_kd("netgraft-target-cifar10-n5-vs-kd", 5, _FILE, _OURS, "cifar10"),
    _vs_kd("netgraft-target-cifar10-n10-vs-kd", 10, _FILE, _OURS, "cifar10"),
    _target("netgraft-target-digits-n10-vs-teacher", "With N = 10 the grafted student is within "
            "2 points of its teacher (digits).", "test_acc_n10", _TEACHER2, _DIGITS,
            _DIGITS_OURS, "digits", baseline="teacher"),
    _vs_kd("netgraft-target-digits-n1-vs-kd", 1, _DIGITS, _DIGITS_OURS, "digits"),
    _vs_kd("netgraft-target-digits-n5-vs-kd", 5, _DIGITS, _DIGITS_OURS, "digits"),
    _size("netgraft-target-digits-size", _DIGITS, _DIGITS_OURS, "digits"),
    _size("netgraft-target-mnist-size", _MNIST, _MNIST_OURS, "mnist"),
    _size("netgraft-target-cifar10-size", _FILE, _OURS, "cifar10"),
)
