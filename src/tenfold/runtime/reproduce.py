"""``tenfold reproduce``: every recipe's preset in turn, with overall progress, a report rewritten
after each recipe, and ``--resume`` that continues a stopped reproduction.

The state of a reproduction is ``<out>/reproduce.json`` (preset, recipes, run directory of each,
report path), written when the first run directory exists: bad input writes nothing.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tenfold.errors import ConfigError, TenfoldError
from tenfold.runtime.io import write_json
from tenfold.runtime.rundir import DamagedFileError, RunDir

STATE = "reproduce.json"


def duration(seconds: float) -> str:
    """``"1h02m"``, ``"4m05s"`` or ``"12s"``."""
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


@dataclass
class Reproduction:
    """One ``tenfold reproduce``: which recipes, which preset, where each run went."""

    out: Path
    preset: str
    recipes: list[str]
    report: Path
    runs: dict[str, str] = field(default_factory=dict)
    current: Path | None = None
    _created_out: bool = False

    @property
    def state_path(self) -> Path:
        return self.out / STATE

    @classmethod
    def plan(cls, out: Path, preset: str, only: str | None) -> Reproduction:
        """Check every recipe's run request (nothing is written)."""
        from tenfold.runtime.launch import plan_run
        from tenfold.runtime.registry import all_recipes

        names = list(all_recipes())
        if only is not None:
            names = [n.strip() for n in only.split(",") if n.strip()]
            if not names:
                raise ConfigError("--only: expected a comma list of recipes (see `tenfold list`)")
            if len(set(names)) != len(names):
                raise ConfigError(f"--only {only!r}: a recipe is named twice")
        for name in names:
            plan_run(name, preset=preset)  # refuse bad input before running anything
        if out.exists() and not out.is_dir():
            raise ConfigError(f"--out {out}: is a file, expected a folder for the runs")
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        return cls(out, preset, names, out / f"report-{stamp}.md")

    @classmethod
    def load(cls, out: Path) -> Reproduction:
        """The reproduction stopped in ``out``."""
        path = out / STATE
        if not path.is_file():
            raise ConfigError(f"no reproduction to continue in {out} (no {STATE}); start one "
                              f"with `tenfold reproduce --out {out}`")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            job = cls(out, str(data["preset"]), [str(n) for n in data["recipes"]],
                      Path(data["report"]), {str(k): str(v) for k, v in data["runs"].items()})
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError,
                AttributeError) as exc:
            raise DamagedFileError(f"{path} is damaged ({type(exc).__name__}: {exc}); delete it "
                                   f"and start again with `tenfold reproduce --out {out}` "
                                   "(finished runs stay in their folders)") from None
        return job

    def save(self) -> None:
        write_json(self.state_path, {"preset": self.preset, "recipes": self.recipes,
                                     "report": str(self.report), "runs": self.runs})

    def _finished(self, name: str) -> bool:
        path = self.runs.get(name)
        if path is None or not RunDir(path).finished:
            return False
        try:
            RunDir(path).read_summary()
        except DamagedFileError:
            return False
        return True

    def write_report(self) -> Path | None:
        from tenfold.runtime.report import write_report

        done = [self.runs[n] for n in self.recipes if self._finished(n)]
        if not done:
            return None
        title = f"tenfold reproduce ({self.preset})"
        if len(done) < len(self.recipes):
            title += f": {len(done)} of {len(self.recipes)} recipes so far"
        return write_report(done, self.report, title=title)

    def _expected_minutes(self, name: str) -> float | None:
        from tenfold.runtime.registry import get_recipe

        if self.preset != "quick":
            return None
        return getattr(get_recipe(name), "quick_minutes", None)

    def run(self, device: str = "auto", keep_checkpoints: bool = False,
            echo: Callable[[str], Any] = print) -> Path:
        """Run every unfinished recipe; returns the report's path."""
        from tenfold.runtime.launch import resume_run, start_run
        from tenfold.runtime.report import summary_line

        start = time.monotonic()
        n = len(self.recipes)
        self._created_out = not self.out.exists()
        for i, name in enumerate(self.recipes):
            tag = f"recipe {i + 1}/{n}"
            if self._finished(name):
                echo(f"[{tag}] {name}: finished earlier ({self.runs[name]})")
                continue
            began = time.monotonic()

            def announce(path: Path, name: str = name) -> None:
                self.runs[name] = str(path)
                self.current = path
                self.save()

            def on_seed(k: int, total: int, name: str = name, tag: str = tag, i: int = i,
                        began: float = began) -> None:
                left = self._estimate_left(i, k, total, time.monotonic() - began)
                echo(f"[{tag}, seed {k + 1}/{total}] {name} ({self.preset}); elapsed "
                     f"{duration(time.monotonic() - start)}{left}")

            previous = self.runs.get(name)
            try:
                if previous is not None and Path(previous).is_dir():
                    path = resume_run(previous, device=device, announce=announce,
                                      on_seed=on_seed)
                else:
                    path = start_run(name, preset=self.preset, out=self.out, device=device,
                                     keep_checkpoints=keep_checkpoints, announce=announce,
                                     on_seed=on_seed)
            except TenfoldError:
                self._forget_removed(name)
                raise
            self.current = None      # finished: a stop from here on is between recipes
            echo(f"[{tag}] {summary_line(RunDir(path).read_summary())} "
                 f"({duration(time.monotonic() - began)})")
            self.write_report()
        self.current = None
        report = self.write_report()
        return report if report is not None else self.report

    def _estimate_left(self, i: int, k: int, total: int, in_recipe: float) -> str:
        """`` , about 12 min left`` from the recipes' measured quick times (or nothing)."""
        minutes = [self._expected_minutes(name) for name in self.recipes[i:]]
        if any(m is None for m in minutes):
            return ""
        later = sum(m for name, m in zip(self.recipes[i + 1:], minutes[1:], strict=True)
                    if not self._finished(name))
        current = max(minutes[0] * 60 - in_recipe, minutes[0] * 60 * (total - k) / total / 2)
        return f", about {duration(later * 60 + current)} left (measured quick times)"

    def _forget_removed(self, name: str) -> None:
        """After an error: a run folder the runtime removed leaves no trace in the state."""
        path = self.runs.get(name)
        if path is not None and not Path(path).exists():
            del self.runs[name]
            if self.runs:
                self.save()
            else:
                self.state_path.unlink(missing_ok=True)
                if self._created_out:
                    with contextlib.suppress(OSError):
                        self.out.rmdir()
