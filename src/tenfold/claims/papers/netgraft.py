"""NetGraft (arXiv 2012.04915, AAAI 2021): few-shot grafting of a VGG16 student, CIFAR-10.

Numbers: the official README (NetGraft rows) and a secondary summary of the paper (teacher and
FSKD); KD's per-shot numbers were not retrieved."""

from tenfold.claims.model import Claim, Paper

_CIFAR = "CIFAR-10, VGG16 teacher → VGG16-graft student, N images per class, 5 runs"
_OURS = ("quarter-width VGG teacher trained 15 epochs (81.2 %), the `paper` step budget, "
         "3 paired seeds, CPU")
_FILE = ("netgraft_cifar10_quarter_cpu.json",)

CLAIMS = (
    Claim(id="netgraft-cifar10-n10-vs-teacher", dataset="cifar10", method="netgraft",
          claim="With 10 images per class the grafted student matches its teacher "
                "(+0.06 points).",
          metric="test_acc_n10", higher_is_better=True, kind="difference", arm="netgraft",
          baseline="teacher",
          paper=Paper(0.06, "README table and the paper's teacher (secondary summary)",
                      (0.0, 0.12), "NetGraft 92.89 ± 0.06 vs teacher 92.83"),
          protocol=_CIFAR, ours=_OURS, results=_FILE, unit=" points"),
    Claim(id="netgraft-cifar10-n1-vs-kd", dataset="cifar10", method="netgraft",
          claim="With one image per class NetGraft beats knowledge distillation.",
          metric="test_acc_n1", higher_is_better=True, kind="difference", arm="netgraft",
          baseline="kd_kl",
          paper=Paper(None, "no KD number retrieved (the paper's best baseline FSKD: 87.42 vs "
                            "NetGraft 90.74)"),
          protocol=_CIFAR, ours=_OURS, results=_FILE, unit=" points"),
    Claim(id="netgraft-mnist-n1-vs-kd", dataset="mnist", method="netgraft",
          claim="With one image per class NetGraft beats knowledge distillation (MNIST proxy).",
          metric="test_acc_n1", higher_is_better=True, kind="difference", arm="netgraft",
          baseline="kd_kl",
          paper=Paper(None, "the paper has no MNIST experiment; same claim on a proxy"),
          protocol="MNIST, LeNet-5 teacher → half-width student, same images, prefix and steps",
          ours="3 paired seeds, 1000 steps, CPU", results=("netgraft_mnist.json",),
          unit=" points"),
    Claim(id="netgraft-cifar10-n1", dataset="cifar10", method="netgraft",
          claim="With one image per class the grafted student reaches 90.74 % on CIFAR-10.",
          metric="test_acc_n1", higher_is_better=True, kind="value", arm="netgraft",
          paper=Paper(90.74, "README table (mean ± std)", (90.25, 91.23)),
          protocol=_CIFAR, ours=_OURS, results=_FILE, unit="%"),
)
