"""Why does GED_E of a trained FactorGCN land near the random-weights reference?

Trains FactorGCN on the synthetic factor graphs and, every few epochs, scores the first layer's
factor graphs on test graphs: GED_E, C-score, the share of saturated factor weights (sigmoid(6 .)
within 0.01 of 0 or 1, where many weights tie), and GED_E again with ties broken at random (a
1e-9 jitter) instead of by index. Reference rows: the oracle, random weights, all-equal weights.
Writes ``benchmarks/results/factorgcn_ged.json``.

    python benchmarks/factorgcn_ged.py --num-graphs 6000 --epochs 30 --batch-size 100
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch_geometric.loader import DataLoader

from harness import parse, parser, record, write_result
from tenfold.data.synthetic.factor_graphs import split_indices, synthetic_factor_graphs
from tenfold.graph.disentangle import ged_e
from tenfold.graph.factor_eval import first_layer_factors, micro_f1, predict, total_loss
from tenfold.graph.factor_models import graph_forward, synthetic_model


def score(factors: torch.Tensor, batch, jitter_seed: int | None = None) -> dict[str, float]:
    if jitter_seed is not None:
        gen = torch.Generator().manual_seed(jitter_seed)
        factors = factors + 1e-9 * torch.rand(factors.shape, generator=gen, dtype=factors.dtype)
    return ged_e(batch.edge_index, factors.double(), batch.gt_edge_factor, batch.batch).summary()


def main(argv: list[str] | None = None) -> None:
    p = parser("factorgcn_ged", __doc__.splitlines()[0])
    p.add_argument("--num-graphs", type=int, default=6000)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--dis-weights", type=float, nargs="+", default=[1.0, 0.0])
    p.add_argument("--eval-every", type=int, default=5)
    p.add_argument("--eval-graphs", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tiny", action="store_true")
    args = parse(p, argv)
    if args.tiny:
        args.num_graphs, args.epochs, args.eval_every, args.eval_graphs = 300, 2, 1, 50
    data = synthetic_factor_graphs(num_graphs=args.num_graphs, seed=0)
    tr, va, te = split_indices(len(data))
    test = data[te.start:te.stop][:args.eval_graphs]
    batch = next(iter(DataLoader(test, batch_size=len(test))))
    e, k = batch.edge_index.size(1), 4
    gen = torch.Generator().manual_seed(args.seed)
    result = record(
        "factorgcn_ged", args,
        model="factorgcn on the synthetic task: hidden 32, K = 4, 2, mean pool, leaky ReLU, "
              "no dropout; Adam 5e-3, weight decay 5e-5, BCE",
        references={
            "oracle": score(batch.gt_edge_factor.double(), batch),
            "random_weights": score(torch.rand(e, k, generator=gen, dtype=torch.float64), batch),
            "equal_weights_index_ties": score(torch.ones(e, k, dtype=torch.float64), batch),
            "equal_weights_random_ties": score(torch.ones(e, k, dtype=torch.float64), batch, 1),
        },
        curves={})
    for lam in args.dis_weights:
        torch.manual_seed(args.seed)
        model = synthetic_model("factorgcn", 15, 4, hidden=32, num_factors=4, dis_weight=lam,
                                dropout=0.0)
        opt = torch.optim.Adam(model.parameters(), lr=5e-3, weight_decay=5e-5)
        loader = DataLoader(data[tr.start:tr.stop], batch_size=args.batch_size, shuffle=True,
                            generator=torch.Generator().manual_seed(args.seed))
        val = DataLoader(data[va.start:va.stop], batch_size=1000)
        rows = []
        for epoch in range(args.epochs + 1):
            if epoch % args.eval_every == 0 or epoch == args.epochs:
                factors = first_layer_factors(model, batch).double()
                sat = float(((factors < 0.01) | (factors > 0.99)).double().mean())
                rows.append({"epoch": epoch,
                             "val_f1": micro_f1(*predict(model, val, "cpu")),
                             "saturated_share": sat, **score(factors, batch),
                             "ged_e_random_ties": score(factors, batch, 1)["ged_e"]})
                print(lam, rows[-1], flush=True)
            if epoch == args.epochs:
                break
            model.train()
            for b in loader:
                opt.zero_grad()
                loss = total_loss(model, F.binary_cross_entropy_with_logits(
                    graph_forward(model, b), b.y))
                loss.backward()
                opt.step()
        result["curves"][f"dis_weight={lam}"] = rows
        write_result(args.out, result)   # after every curve: a stopped run keeps it


if __name__ == "__main__":
    main()
