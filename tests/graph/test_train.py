"""The full-batch trainer: validation-based selection, early stopping, exact resume."""

import torch

from tenfold.data.synthetic import generate
from tenfold.graph.baselines import GCN
from tenfold.graph.train import NodeClassifierTrainer


def make(seed=0, epochs=30, patience=0, monitor="val_acc"):
    torch.manual_seed(seed)
    data = generate("synthetic-sbm", num_nodes=300, num_test=100, num_val=60, seed=1)
    model = GCN(data.num_features, 16, 6)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    return NodeClassifierTrainer(model, data, opt, max_epochs=epochs, patience=patience,
                                 monitor=monitor)


def run_all(trainer):
    history = []
    while not trainer.stopped:
        history.append(trainer.step())
    return history


def test_selects_best_validation_epoch_not_best_test():
    trainer = make()
    history = run_all(trainer)
    best = max(history, key=lambda m: (m["val_acc"], -m["val_loss"]))
    result = trainer.result()
    assert result["best_epoch"] == best["epoch"]
    assert result["test_acc"] == best["test_acc"]
    assert result["epochs_run"] == 30


def test_val_loss_monitor():
    trainer = make(monitor="val_loss")
    history = run_all(trainer)
    assert trainer.result()["val_loss"] == min(m["val_loss"] for m in history)


def test_early_stopping_after_patience():
    trainer = make(epochs=500, patience=5)
    history = run_all(trainer)
    assert len(history) - 1 - trainer.result()["best_epoch"] == 5
    assert len(history) < 500


def test_state_dict_resume_is_exact():
    full = make()
    run_all(full)
    part = make()
    for _ in range(12):
        part.step()
    state, rng = part.state_dict(), torch.get_rng_state()
    resumed = make(seed=123)  # different init: everything must come from the state
    resumed.load_state_dict(state)
    torch.set_rng_state(rng)
    run_all(resumed)
    assert resumed.result() == full.result()
