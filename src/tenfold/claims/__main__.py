"""``python -m tenfold.claims --update | --check | --export DIR [--root DIR]``: regenerate the
ledger blocks of README.md and docs/*.md from benchmarks/results, check that they are current, or
write every adaptable results file in schema 1 to DIR (one file per section; the originals stay)."""

from __future__ import annotations

import argparse
import glob
import json
import sys
from pathlib import Path

from tenfold.claims import all_claims, all_targets, build_ledger, default_results_dir
from tenfold.claims.adapters import UnadaptableFile, read_results
from tenfold.claims.render import drift, ledger_files, update_text
from tenfold.errors import TenfoldError


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tenfold.claims", description=__doc__)
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--update", action="store_true", help="rewrite the generated blocks")
    what.add_argument("--check", action="store_true", help="exit 1 when a block is stale")
    what.add_argument("--export", type=Path, metavar="DIR",
                      help="write schema-1 copies of the results files into DIR (new folder)")
    p.add_argument("--root", type=Path, default=None,
                   help="the checkout (default: the one holding benchmarks/results)")
    args = p.parse_args(argv)
    root = args.root or default_results_dir().parent.parent
    try:
        if args.export is not None:
            return export(root / "benchmarks" / "results", args.export)
        rows = build_ledger(all_claims() + all_targets(), root / "benchmarks" / "results")
        if args.check:
            stale = drift(root, rows)
            for s in stale:
                print(f"stale: {s} (run `python -m tenfold.claims --update`)")
            return 1 if stale else 0
        for path in ledger_files(root):
            old = path.read_text()
            new = update_text(old, rows, root / "benchmarks" / "results")
            if new != old:
                path.write_text(new)
                print(f"updated {path.relative_to(root)}")
    except TenfoldError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def export(results_dir: Path, out: Path) -> int:
    """Write ``<stem>.json`` (or ``<stem>__<section>.json``) in schema 1 for every adaptable
    file of ``results_dir`` into the new folder ``out``; name the files no adapter reads."""
    if out.exists():
        print(f"error: {out} exists; --export writes a new folder", file=sys.stderr)
        return 2
    files = sorted(glob.glob(str(results_dir / "*.json")))
    if not files:
        print(f"error: {results_dir}: no results files", file=sys.stderr)
        return 2
    out.mkdir(parents=True)
    for path in map(Path, files):
        try:
            sections = read_results(path)
        except UnadaptableFile as exc:
            print(f"not adapted: {exc}")
            continue
        for section, rec in sections.items():
            safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in section)
            name = f"{path.stem}__{safe}.json" if section else path.name
            (out / name).write_text(json.dumps(rec.to_json(), indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
