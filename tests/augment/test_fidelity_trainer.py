"""tenfold.augment.fidelity and tenfold.augment.trainer: label fidelity against known object
fractions, the learning-rate schedules by hand, and the mixing trainer's pairing and resume."""

from __future__ import annotations

import math

import pytest
import torch

from tenfold.augment import (
    MixTrainer,
    SnapMix,
    build_classifier,
    label_fidelity,
    lr_at,
    make_mixer,
    seeded_generators,
    visible_fraction,
)
from tenfold.data.image_sets import tensor_image_set


def load_images(dataset, image_size, train_size, test_size):
    return tensor_image_set(dataset, image_size, train_size, test_size)


def test_visible_fraction_by_hand():
    boxes = torch.tensor([[0, 0, 4, 4], [2, 2, 6, 4], [10, 10, 12, 12]])
    frac = visible_fraction(boxes, (0, 0, 4, 4))
    torch.testing.assert_close(frac, torch.tensor([1.0, 4 / 8, 0.0]))
    with pytest.raises(ValueError, match=r"\[N, 4\]"):
        visible_fraction(boxes[:, :3], (0, 0, 4, 4))


def test_label_fidelity_of_a_perfect_map_model_is_zero():
    """A "model" whose CAM is the object box gives zero SnapMix error, area labels do not."""
    data = load_images("cluttered-digits", 64, 64, 64)
    boxes = data.test_boxes

    class BoxModel(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.pool = torch.nn.AdaptiveAvgPool2d(1)
            self.fc = torch.nn.Linear(1, 10)
            torch.nn.init.ones_(self.fc.weight)

        def forward(self, x):
            # the pixel that identifies the image is written in its top-left corner by the test
            idx = x[:, 0, 0, 0].round().long()
            masks = torch.zeros(len(x), 1, 32, 32)
            for i, j in enumerate(idx.tolist()):
                t, l_, b, r = boxes[j].tolist()
                masks[i, 0, t:b, l_:r] = 1.0
            return self.fc(self.pool(masks).flatten(1))

    tagged = data.test_x.clone()
    tagged[:, 0, 0, 0] = torch.arange(len(tagged)).float()
    data = type(data)(**{**vars(data), "test_x": tagged, "mean": torch.zeros(1),
                         "std": torch.ones(1)})
    errs = label_fidelity(BoxModel(), data, mixes=128, beta=1.0, gen=torch.Generator())
    assert errs["snapmix"] < 1e-5
    assert errs["area_asym"] > 0.05 and errs["area_sym"] > 0.05


def test_lr_schedules_by_hand():
    assert lr_at(0.1, "cosine", 0, 100) == pytest.approx(0.1)
    assert lr_at(0.1, "cosine", 50, 100) == pytest.approx(0.05)
    assert lr_at(0.1, "cosine", 25, 100) == pytest.approx(0.05 * (1 + math.cos(math.pi / 4)))
    assert [lr_at(1.0, "step", s, 100) for s in (49, 50, 75, 90)] == pytest.approx(
        [1.0, 0.1, 0.01, 0.001])
    with pytest.raises(ValueError, match="schedule"):
        lr_at(0.1, "linear", 0, 10)


def test_make_mixer_by_name():
    gen = torch.Generator()
    assert make_mixer("none", 10, gen) is None
    snap = make_mixer("snapmix", 10, gen)
    assert isinstance(snap, SnapMix) and snap.same_class_boost
    assert not make_mixer("snapmix_noboost", 10, gen).same_class_boost
    with pytest.raises(ValueError, match="fancymix"):
        make_mixer("fancymix", 10, gen)


def _trainer(seed: int = 3, method: str = "cutmix", epochs: int = 2) -> MixTrainer:
    data = load_images("cluttered-digits", 64, 64, 64)
    torch.manual_seed(seed)
    model = build_classifier("small", data.num_classes, 1, (4,))
    data_gen, mix_gen = seeded_generators(seed)
    return MixTrainer(model, make_mixer(method, 10, mix_gen, prob=1.0), data, epochs=epochs,
                      batch_size=32, lr=0.05, data_generator=data_gen, mix_generator=mix_gen)


def test_trainer_resumes_exactly_and_reports_its_curve():
    full = _trainer().run()
    half = _trainer()
    half.stepper.step()
    state = half.stepper.state_dict()
    resumed = _trainer()
    resumed.stepper.load_state_dict(state)
    resumed.run()
    assert resumed.metrics() == full.metrics()
    m = full.metrics()
    assert m["test_acc"] == full.memory["accs"][-1]
    assert m["best_test_acc"] == max(full.memory["accs"]) and 1 <= m["best_epoch"] <= 2
    with pytest.raises(ValueError, match="epochs"):
        MixTrainer(build_classifier("small", 10, 1, (4,)), None, full.data, epochs=0,
                   batch_size=8, lr=0.1, data_generator=torch.Generator(),
                   mix_generator=torch.Generator())
