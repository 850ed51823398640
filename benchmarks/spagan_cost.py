"""SPAConv's cost next to PyG's GATConv: step time, peak memory and path generation time.

Per dataset and seed, in one process with ``--threads`` torch threads (default 1):

1. a GAT (PyG ``GATConv``: 8 heads x 8 hidden, ELU, 1 output head; dropout 0.6) is trained for
   ``--gat-epochs`` epochs so that its attention is realistic;
2. the shortest paths are built from its first layer (head-averaged attention -> costs ->
   Dijkstra -> sampled 1- and 2-hop paths), ``--path-repeats`` times; the median wall time and
   the median CPU time of the process (``time.process_time``: on a shared, loaded machine the
   wall time mostly measures the wait for a core) are reported;
3. three models take full-batch training steps (forward, cross-entropy, backward, Adam step),
   interleaved one step each (``harness.interleaved_times``), ``--steps`` times after
   ``--warmup`` steps; the median step time of each is reported:

   * ``gat`` — the GAT above (fresh weights of the same seed);
   * ``spagan`` — ``tenfold.graph.SPAGAN`` on those paths (SPAConv 8x8 over 1- and 2-hop paths,
     ELU, one-hop SPAConv output head): the real method;
   * ``spaconv_1hop`` — the same network called without paths (SPAConv as a drop-in GATConv);

4. peak memory of one step of each model: the largest amount of CPU memory held by tensors
   allocated during the step, from ``torch.profiler`` memory events (an allocation counts from
   the start of the op that made it, a release from the end of the op that released it).

Ratios are per seed (model / gat); the summary gives mean ± std over seeds.
Writes ``benchmarks/results/spagan_cost.json`` (each invocation appends one entry to
``runs``):

    python benchmarks/spagan_cost.py --datasets photo cs --seeds 0 1 2
    python benchmarks/spagan_cost.py --datasets cora citeseer --seeds 0 1 2 --gat-epochs 50
"""

from __future__ import annotations

import os
import statistics
import time
from functools import partial

import torch
import torch.nn.functional as F
from torch.profiler import ProfilerActivity, profile

from harness import interleaved_times, parse, parser, read_json, record, write_result
from tenfold.data.graphs import node_classification_graph
from tenfold.graph.baselines import GAT
from tenfold.graph.paths import ShortestPathSampler
from tenfold.graph.spagan import SPAGAN
from tenfold.graph.spagan_train import gat_paths
from tenfold.runtime.stats import mean_std

MODELS = ("gat", "spagan", "spaconv_1hop")


def train_step(model, data, opt, paths=None) -> None:
    """One full-batch training step."""
    model.train()
    opt.zero_grad(set_to_none=True)
    out = model(data.x, data.edge_index) if paths is None else model(data.x, data.edge_index,
                                                                      paths)
    F.cross_entropy(out[data.train_mask], data.y[data.train_mask]).backward()
    opt.step()


def peak_step_memory(step) -> float:
    """MiB: the most memory held at once by tensors allocated during ``step()``."""
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        step()
    changes = []
    for event in prof.events():
        size = event.self_cpu_memory_usage
        if size:
            changes.append((event.time_range.start if size > 0 else event.time_range.end, size))
    changes.sort()
    held = peak = 0
    for _, size in changes:
        held += size
        peak = max(peak, held)
    return peak / 2**20


def measure(dataset: str, seed: int, args) -> dict:
    data = node_classification_graph(dataset)
    classes = int(data.y.max()) + 1
    torch.manual_seed(seed)
    teacher = GAT(data.num_features, 8, classes)
    opt = torch.optim.Adam(teacher.parameters(), lr=0.005, weight_decay=5e-4)
    for _ in range(args.gat_epochs):
        train_step(teacher, data, opt)
    sampler = ShortestPathSampler(max_hops=2, degree_ratio=0.5, max_ratio=1.0)
    path_times, path_cpu = [], []
    for _ in range(args.path_repeats):
        start, cpu = time.perf_counter(), time.process_time()
        paths = gat_paths(teacher.conv1, data.x, data.edge_index, sampler)
        path_times.append(time.perf_counter() - start)
        path_cpu.append(time.process_time() - cpu)

    torch.manual_seed(seed)
    models = {"gat": GAT(data.num_features, 8, classes),
              "spagan": SPAGAN(data.num_features, 8, classes, heads=(8, 1), max_hops=2)}
    torch.manual_seed(seed)
    models["spaconv_1hop"] = SPAGAN(data.num_features, 8, classes, heads=(8, 1), max_hops=2)
    inputs = {"gat": None, "spagan": paths, "spaconv_1hop": None}
    opts = {k: torch.optim.Adam(m.parameters(), lr=0.005, weight_decay=5e-4)
            for k, m in models.items()}
    times = interleaved_times(
        {k: partial(train_step, m, data, opts[k], inputs[k]) for k, m in models.items()},
        repeats=args.steps, warmup=args.warmup)
    memory = {k: peak_step_memory(lambda k=k, m=m: train_step(m, data, opts[k], inputs[k]))
              for k, m in models.items()}
    ms = {k: 1000 * statistics.median(v) for k, v in times.items()}
    return {
        "num_nodes": data.num_nodes, "num_edges": int(data.edge_index.size(1)),
        "paths_per_length": paths.num_paths(),
        "paths_s_median": statistics.median(path_times), "paths_s_all": path_times,
        "paths_cpu_s_median": statistics.median(path_cpu), "paths_cpu_s_all": path_cpu,
        "step_ms_median": ms, "step_ms_all": {k: [1000 * t for t in v] for k, v in times.items()},
        "peak_mib": memory,
        "time_ratio": {k: ms[k] / ms["gat"] for k in MODELS[1:]},
        "memory_ratio": {k: memory[k] / memory["gat"] for k in MODELS[1:]},
    }


def main(argv: list[str] | None = None) -> dict:
    p = parser("spagan_cost", __doc__.splitlines()[0])
    p.add_argument("--datasets", nargs="+", default=["photo", "cs"])
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--gat-epochs", type=int, default=20)
    p.add_argument("--path-repeats", type=int, default=3)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--steps", type=int, default=10)
    args = parse(p, argv)
    entry = record("spagan_cost", args, threads=args.threads,
                   load_average_start=list(os.getloadavg()), datasets={})
    results = read_json(args.out) if args.out.exists() else {"runs": []}
    results["runs"].append(entry)
    for name in args.datasets:
        runs = {seed: measure(name, seed, args) for seed in args.seeds}
        summary = {
            "paths_s": mean_std([r["paths_s_median"] for r in runs.values()]),
            "paths_cpu_s": mean_std([r["paths_cpu_s_median"] for r in runs.values()]),
            **{f"time_ratio_{k}": mean_std([r["time_ratio"][k] for r in runs.values()])
               for k in MODELS[1:]},
            **{f"memory_ratio_{k}": mean_std([r["memory_ratio"][k] for r in runs.values()])
               for k in MODELS[1:]},
            **{f"step_ms_{k}": mean_std([r["step_ms_median"][k] for r in runs.values()])
               for k in MODELS},
            **{f"peak_mib_{k}": mean_std([r["peak_mib"][k] for r in runs.values()])
               for k in MODELS},
        }
        entry["datasets"][name] = {"seeds": runs, "summary": summary}
        print(f"{name}: SPAGAN/GAT step {summary['time_ratio_spagan']['mean']:.2f} ± "
              f"{summary['time_ratio_spagan']['std']:.2f}, memory "
              f"{summary['memory_ratio_spagan']['mean']:.2f}; 1-hop SPAConv/GAT step "
              f"{summary['time_ratio_spaconv_1hop']['mean']:.2f}; paths "
              f"{summary['paths_s']['mean']:.1f} s ({summary['paths_cpu_s']['mean']:.1f} CPU s)",
              flush=True)
        entry["load_average_end"] = list(os.getloadavg())
        write_result(args.out, results)        # after every dataset: a killed run keeps them
    return entry


if __name__ == "__main__":
    main()
