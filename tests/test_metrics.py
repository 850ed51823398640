"""tenfold.metrics: the one top-1 accuracy, checked against hand-counted answers."""

import math

import pytest
import torch
from torch import nn

from tenfold.metrics import accuracy, count_correct, model_accuracy

# 5 samples, 3 classes; argmax per row: 0, 2, 1, 1 (first of a tie), 2
SCORES = torch.tensor([[3.0, 1.0, 0.0],
                       [0.0, 1.0, 2.0],
                       [0.0, 5.0, 1.0],
                       [1.0, 4.0, 4.0],
                       [0.1, 0.2, 0.3]])
LABELS = torch.tensor([0, 1, 1, 2, 2])   # right, wrong, right, wrong (tie -> 1), right: 3 of 5


def test_accuracy_by_hand():
    assert count_correct(SCORES, LABELS) == (3, 5)
    assert accuracy(SCORES, LABELS) == 3 / 5
    assert accuracy(SCORES[:1], LABELS[:1]) == 1.0
    assert math.isnan(accuracy(SCORES[:0], LABELS[:0]))


def test_accuracy_rejects_bad_shapes():
    with pytest.raises(ValueError, match="expected 5 labels"):
        accuracy(SCORES, LABELS[:4])
    with pytest.raises(ValueError, match=r"\[N, C\]"):
        accuracy(SCORES[None], LABELS)
    with pytest.raises(ValueError, match="integer class labels"):
        accuracy(SCORES, LABELS.float())


class Lookup(nn.Module):
    """Returns the fixed scores of sample i for input i (and counts eval-mode calls)."""

    def __init__(self):
        super().__init__()
        self.eval_calls = 0

    def forward(self, idx):
        self.eval_calls += int(not self.training)
        return SCORES[idx.long().view(-1)]


@pytest.mark.parametrize("batch_size", [1, 2, 5, 1000])
def test_model_accuracy_tensor_any_batching(batch_size):
    model = Lookup().train()
    inputs = torch.arange(5)
    assert model_accuracy(model, inputs, LABELS, batch_size=batch_size) == 3 / 5
    assert model.training                       # mode restored
    assert model.eval_calls == math.ceil(5 / batch_size)   # ran in eval mode


def test_model_accuracy_loader_and_forward():
    model = Lookup()
    pairs = [(torch.tensor([0, 1]), LABELS[:2]), (torch.tensor([2, 3, 4]), LABELS[2:])]
    assert model_accuracy(model, pairs) == 3 / 5

    class Graphs:                               # PyG-like batches: the object carries .y
        def __init__(self, idx):
            self.idx, self.y = idx, LABELS[idx]

        def to(self, device):
            return self

    batches = [Graphs(torch.tensor([0, 4])), Graphs(torch.tensor([1, 2, 3]))]
    assert model_accuracy(model, batches, forward=lambda m, b: m(b.idx), device="cpu") == 3 / 5
    assert math.isnan(model_accuracy(model, []))


def test_model_accuracy_bad_calls():
    model = Lookup()
    with pytest.raises(ValueError, match="labels"):
        model_accuracy(model, torch.arange(5))
    with pytest.raises(ValueError, match="expected 5 labels"):
        model_accuracy(model, torch.arange(5), LABELS[:3])
    with pytest.raises(ValueError, match="batch_size"):
        model_accuracy(model, torch.arange(5), LABELS, batch_size=0)
    with pytest.raises(ValueError, match=r"\(x, y\) pairs"):
        model_accuracy(model, [torch.arange(5)])


def test_public_names_use_it():
    from tenfold.continual.stream import TaskBatch
    from tenfold.distill import accuracy as distill_accuracy

    assert distill_accuracy(Lookup(), torch.arange(5), LABELS, batch_size=2) == 3 / 5
    task = TaskBatch(x=torch.zeros(5, 1), edge_index=torch.zeros(2, 0, dtype=torch.long),
                     nodes=torch.tensor([0, 1, 2, 3, 4]), targets=LABELS,
                     columns=torch.tensor([0, 1, 2]))
    assert task.accuracy(SCORES) == 3 / 5
