"""SPAGAN timing targets: shortest-path generation time and SPAGAN epoch / GAT epoch ratio.

For each dataset: train a GAT (PyG ``GATConv``, 8×8 + 1 head) for ``--gat-epochs`` epochs so that
its attention is realistic, then

* time the whole path pipeline (head-averaged attention -> costs -> Dijkstra from every node ->
  sampled 1- and 2-hop paths) ``--repeats`` times and report the median;
* time full training epochs (train step + eval forward) of the GAT and of a SPAGAN on those
  paths, interleaved one by one in the same process, and report the medians and their ratio.

Writes ``benchmarks/results/spagan_timing.json``. Run with one thread on a quiet machine:

    python benchmarks/spagan_timing.py --datasets cora citeseer
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from tenfold.data.graphs import node_classification_graph
from tenfold.graph.baselines import GAT
from tenfold.graph.paths import ShortestPathSampler
from tenfold.graph.spagan import SPAGAN
from tenfold.graph.spagan_train import gat_paths
from tenfold.runtime.io import read_json, write_json
from tenfold.runtime.launch import machine_info

RESULTS = Path(__file__).resolve().parent / "results" / "spagan_timing.json"


def epoch(model, data, opt) -> float:
    """One full-batch training step plus one evaluation forward; seconds."""
    start = time.perf_counter()
    model.train()
    opt.zero_grad()
    out = model(data.x, data.edge_index)
    F.cross_entropy(out[data.train_mask], data.y[data.train_mask]).backward()
    opt.step()
    model.eval()
    with torch.no_grad():
        model(data.x, data.edge_index)
    if data.x.is_cuda:
        torch.cuda.synchronize()
    return time.perf_counter() - start


def measure(dataset: str, args) -> dict:
    torch.manual_seed(0)
    data = node_classification_graph(dataset).to(args.device)
    classes = int(data.y.max()) + 1
    gat = GAT(data.num_features, 8, classes).to(args.device)
    opt_gat = torch.optim.Adam(gat.parameters(), lr=0.005, weight_decay=5e-4)
    for _ in range(args.gat_epochs):
        epoch(gat, data, opt_gat)
    sampler = ShortestPathSampler(max_hops=2, degree_ratio=0.5, max_ratio=1.0)
    path_times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        paths = gat_paths(gat.conv1, data.x, data.edge_index, sampler)
        path_times.append(time.perf_counter() - start)
    spagan = SPAGAN(data.num_features, 8, classes).to(args.device)
    spagan.set_paths(paths)
    opt_spa = torch.optim.Adam(spagan.parameters(), lr=0.005, weight_decay=5e-4)
    for _ in range(args.warmup_epochs):
        epoch(gat, data, opt_gat)
        epoch(spagan, data, opt_spa)
    t_gat, t_spa = [], []
    for _ in range(args.epochs):
        t_gat.append(epoch(gat, data, opt_gat))
        t_spa.append(epoch(spagan, data, opt_spa))
    gat_ms, spa_ms = 1000 * statistics.median(t_gat), 1000 * statistics.median(t_spa)
    return {
        "num_nodes": data.num_nodes, "num_edges": int(data.edge_index.size(1)),
        "paths_per_length": paths.num_paths(),
        "paths_s_median": statistics.median(path_times), "paths_s_all": path_times,
        "gat_epoch_ms_median": gat_ms, "spagan_epoch_ms_median": spa_ms,
        "spagan_over_gat_epoch": spa_ms / gat_ms,
    }


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", nargs="+", default=["cora", "citeseer"])
    p.add_argument("--gat-epochs", type=int, default=100)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--warmup-epochs", type=int, default=5)
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    results = read_json(args.out) if args.out.exists() else {}
    entry = {
        "command": "python " + " ".join(shlex.quote(a) for a in [
            sys.argv[0], *(argv if argv is not None else sys.argv[1:])]),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine_info(), "device": args.device, "threads": args.threads,
        "load_average": list(_loadavg()),
        "datasets": {},
    }
    for name in args.datasets:
        entry["datasets"][name] = m = measure(name, args)
        print(f"{name}: paths {m['paths_s_median']:.2f} s (median of {args.repeats}), "
              f"epoch GAT {m['gat_epoch_ms_median']:.1f} ms, SPAGAN "
              f"{m['spagan_epoch_ms_median']:.1f} ms, ratio {m['spagan_over_gat_epoch']:.2f}",
              flush=True)
    results.setdefault(args.device, []).append(entry)
    write_json(args.out, results)
    return entry


def _loadavg() -> tuple[float, float, float]:
    try:
        import os
        return os.getloadavg()
    except OSError:
        return (float("nan"),) * 3


if __name__ == "__main__":
    main()
