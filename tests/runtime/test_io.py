"""Atomic writes and the settings-keyed cache of trained artefacts."""

import stat
import sys

import pytest
import torch

from tenfold.runtime.io import cached_torch, read_json, save_torch, write_json


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


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_atomic_writes_get_the_permissions_of_a_plain_open(tmp_path):
    plain = tmp_path / "plain.json"
    plain.write_text("{}")
    expected = stat.S_IMODE(plain.stat().st_mode)          # 0o666 minus the umask
    write_json(tmp_path / "a.json", {"x": 1})
    save_torch(tmp_path / "b.pt", {"w": torch.zeros(1)})
    for name in ("a.json", "b.pt"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == expected, name
    assert read_json(tmp_path / "a.json") == {"x": 1}
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
