"""Atomic writes and the settings-keyed cache of trained artefacts."""

import torch

from tenfold.runtime.io import cached_torch


def test_cached_torch_builds_once_per_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("TENFOLD_CACHE", str(tmp_path))
    calls = []

    def build():
        calls.append(1)
        return {"state_dict": {"w": torch.full((2,), float(len(calls)))}, "test_acc": 0.5}

    first = cached_torch("demo", "teacher", {"lr": 0.1}, build)
    again = cached_torch("demo", "teacher", {"lr": 0.1}, build)
    other = cached_torch("demo", "teacher", {"lr": 0.2}, build)
    assert len(calls) == 2                               # the second call was read from disk
    assert torch.equal(again["state_dict"]["w"], first["state_dict"]["w"])
    assert not torch.equal(other["state_dict"]["w"], first["state_dict"]["w"])
    assert again["settings"] == {"lr": 0.1} and again["test_acc"] == 0.5
    files = sorted(p.name for p in (tmp_path / "demo").iterdir())
    assert len(files) == 2 and all(f.startswith("teacher-") and f.endswith(".pt") for f in files)
