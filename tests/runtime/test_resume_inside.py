"""Every recipe resumes *inside* a method: a fault injected after k steps of a ``ctx.fit`` loop
(``TENFOLD_FAULT_AFTER_STEPS``), then ``resume_run``, gives a ``summary.json`` byte-identical to an
uninterrupted ``smoke`` run's. New recipes are picked up from the registry automatically."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tenfold.runtime.context import FAULT_ENV, InjectedFault, RunContext
from tenfold.runtime.launch import resume_run, start_run
from tenfold.runtime.registry import recipe_names

# recipe -> reason, for recipes whose own code does not yet pass (kept visible, not hidden)
XFAIL: dict[str, str] = {}


def _fit_calls(monkeypatch) -> list[tuple[str, int]]:
    """Record ``(key, steps driven)`` of every ``ctx.fit`` call from now on."""
    calls: list[tuple[str, int]] = []
    real_fit = RunContext.fit

    def counting(self, key, trainer, *args, **kwargs):
        before = self.steps_driven
        try:
            return real_fit(self, key, trainer, *args, **kwargs)
        finally:
            calls.append((key, self.steps_driven - before))

    monkeypatch.setattr(RunContext, "fit", counting)
    return calls


def _only_run(out: Path, name: str) -> Path:
    (run,) = list((out / name).iterdir())
    return run


@pytest.mark.parametrize("name", recipe_names())
def test_fault_inside_a_method_then_resume_gives_the_same_summary(name, tmp_path, monkeypatch):
    if name in XFAIL:
        pytest.xfail(XFAIL[name])
    monkeypatch.delenv(FAULT_ENV, raising=False)
    with monkeypatch.context() as m:
        calls = _fit_calls(m)
        clean = start_run(name, preset="smoke", out=tmp_path / "clean", device="cpu")
    loops = [(i, steps) for i, (_, steps) in enumerate(calls) if steps >= 2]
    assert loops, f"{name}: no training loop of >= 2 steps runs through ctx.fit ({calls})"
    # the fault lands in the middle of the middle loop (not at a method's start or end); by
    # key, since work cached by the clean run (a teacher) is not redone by the faulty one
    index, steps = loops[len(loops) // 2]
    key = calls[index][0]

    monkeypatch.setenv(FAULT_ENV, f"{key}:{steps // 2}")
    with pytest.raises(InjectedFault, match=re.escape(f"step {steps // 2} of {key!r}")):
        start_run(name, preset="smoke", out=tmp_path / "faulty", device="cpu")
    run = _only_run(tmp_path / "faulty", name)
    assert not (run / "summary.json").exists()
    monkeypatch.delenv(FAULT_ENV)
    resume_run(run, device="cpu")
    assert (run / "summary.json").read_bytes() == (clean / "summary.json").read_bytes()
