"""``python -m tenfold.claims --update | --check [--root DIR]``: regenerate the ledger blocks
of README.md and docs/*.md from benchmarks/results, or check that they are current."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tenfold.claims import all_claims, build_ledger, default_results_dir
from tenfold.claims.render import drift, ledger_files, update_text
from tenfold.errors import TenfoldError


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tenfold.claims", description=__doc__)
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--update", action="store_true", help="rewrite the generated blocks")
    what.add_argument("--check", action="store_true", help="exit 1 when a block is stale")
    p.add_argument("--root", type=Path, default=None,
                   help="the checkout (default: the one holding benchmarks/results)")
    args = p.parse_args(argv)
    root = args.root or default_results_dir().parent.parent
    try:
        rows = build_ledger(all_claims(), root / "benchmarks" / "results")
        if args.check:
            stale = drift(root, rows)
            for s in stale:
                print(f"stale: {s} (run `python -m tenfold.claims --update`)")
            return 1 if stale else 0
        for path in ledger_files(root):
            old = path.read_text()
            new = update_text(old, rows)
            if new != old:
                path.write_text(new)
                print(f"updated {path.relative_to(root)}")
    except TenfoldError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
