"""Continual metrics on hand-written matrices and task-stream invariants."""

import math

import pytest
import torch
from torch_geometric.data import Data

from tenfold.continual import (
    TaskStream,
    average_forgetting,
    average_performance,
    backward_transfer,
    continual_metrics,
)
from tenfold.data.synthetic import generate

NAN = float("nan")


def test_metrics_known_answers():
    r = torch.tensor([[0.9, NAN, NAN],
                      [0.6, 0.8, NAN],
                      [0.5, 0.7, 0.95]])
    assert average_performance(r) == pytest.approx((0.5 + 0.7 + 0.95) / 3)
    # BWT: ((0.5 - 0.9) + (0.7 - 0.8)) / 2 = -0.25 ; AF (paper sign: positive = forgetting) = 0.25
    assert backward_transfer(r) == pytest.approx(-0.25)
    assert average_forgetting(r) == pytest.approx(0.25)
    m = continual_metrics(r)
    # max forgetting: task 0 best 0.9 -> 0.5 (0.4), task 1 best 0.8 -> 0.7 (0.1)
    assert m["max_forgetting"] == pytest.approx(0.25)
    # improving earlier tasks gives negative AF (positive backward transfer)
    better = torch.tensor([[0.5, NAN], [0.7, 0.9]])
    assert average_forgetting(better) == pytest.approx(-0.2)
    assert continual_metrics(torch.tensor([[0.7]]))["af"] == 0.0


def test_metrics_reject_bad_matrices():
    with pytest.raises(ValueError, match="square"):
        average_performance(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="NaN"):
        backward_transfer(torch.tensor([[0.5, NAN], [NAN, 0.9]]))


def _graph(num_classes=6, seed=0):
    return generate("synthetic-sbm", num_classes=num_classes, num_nodes=600, num_val=100,
                    num_test=200, seed=seed)


def test_stream_disjoint_classes_and_splits():
    data = _graph()
    stream = TaskStream(data, classes_per_task=2, split=(10, 5),
                        generator=torch.Generator().manual_seed(0))
    assert len(stream) == 3 and stream.num_outputs == 6
    seen_classes, seen_nodes = set(), set()
    for task in stream:
        assert not seen_classes & set(task.classes)
        seen_classes |= set(task.classes)
        parts = [set(task.train_nodes.tolist()), set(task.val_nodes.tolist()),
                 set(task.test_nodes.tolist())]
        assert not (parts[0] & parts[1]) and not (parts[0] & parts[2]) and not (parts[1] & parts[2])
        all_nodes = parts[0] | parts[1] | parts[2]
        assert not all_nodes & seen_nodes
        seen_nodes |= all_nodes
        assert set(data.y[list(all_nodes)].tolist()) == set(task.classes)
        for c in task.classes:
            assert int((data.y[task.train_nodes] == c).sum()) == 10
            assert int((data.y[task.val_nodes] == c).sum()) == 5
        # task-IL targets: position of the class inside the task's column slice
        batch = stream.batch(task.index, "test")
        assert batch.columns.tolist() == [2 * task.index, 2 * task.index + 1]
        expected = torch.tensor([task.classes.index(int(c)) for c in data.y[batch.nodes]])
        assert torch.equal(batch.targets, expected)


def test_stream_reproducible_and_seed_dependent():
    data = _graph()
    make = lambda s: TaskStream(data, 2, generator=torch.Generator().manual_seed(s))  # noqa: E731
    a, b, c = make(3), make(3), make(4)
    for ta, tb in zip(a, b, strict=True):
        assert torch.equal(ta.train_nodes, tb.train_nodes)
        assert torch.equal(ta.test_nodes, tb.test_nodes)
    assert not all(torch.equal(ta.train_nodes, tc.train_nodes) for ta, tc in zip(a, c, strict=True))


def test_class_il_columns_and_inter_task_edges():
    data = _graph()
    stream = TaskStream(data, 2, scenario="class", class_order=[5, 4, 3, 2, 1, 0],
                        inter_task_edges=False)
    assert stream[0].classes == (5, 4)
    batch = stream.batch(0, "train", seen=2)
    assert batch.columns.tolist() == list(range(6))
    assert torch.equal(batch.targets, 5 - data.y[batch.nodes])   # class 5 -> column 0, ...
    task_of = stream.node_task
    src, dst = stream.edge_index
    assert bool((task_of[src] == task_of[dst]).all())
    assert stream.edge_index.size(1) < data.edge_index.size(1)


def test_stream_errors():
    data = _graph()
    with pytest.raises(ValueError, match="at most 3 tasks"):
        TaskStream(data, 2, num_tasks=4)
    with pytest.raises(ValueError, match="scenario"):
        TaskStream(data, 2, scenario="domain")
    with pytest.raises(ValueError, match="class_order"):
        TaskStream(data, 2, class_order=[0, 0, 1])
    tiny = Data(x=torch.randn(6, 2), edge_index=torch.zeros(2, 0, dtype=torch.long),
                y=torch.tensor([0, 0, 0, 1, 1, 1]))
    with pytest.raises(ValueError, match="only 3 nodes"):
        TaskStream(tiny, 2, split=(2, 1))
    with pytest.raises(ValueError, match="one label per node"):
        TaskStream(Data(x=torch.randn(5, 2), edge_index=tiny.edge_index, y=tiny.y), 2)
    assert math.isclose(TaskStream(tiny, 2, split=(0.34, 0.33))[0].train_nodes.numel(), 2)


def _pair(**kw):
    data = _graph()
    make = lambda sub: TaskStream(data, 2, split=(10, 5), inter_task_edges=False,  # noqa: E731
                                  task_subgraphs=sub, generator=torch.Generator().manual_seed(0),
                                  **kw)
    return make(False), make(True)


@pytest.mark.parametrize("kind", ["gcn", "gat"])
def test_task_subgraphs_give_the_whole_graph_outputs(kind):
    from tenfold.continual import GAT, GCN
    full, sub = _pair()
    torch.manual_seed(0)
    model = (GCN(full.x.size(1), 8, full.num_outputs) if kind == "gcn"
             else GAT(full.x.size(1), 4, full.num_outputs, heads=2)).eval()
    out = model(full.x, full.edge_index)
    for k in range(len(full)):
        x, edge_index, node_ids = sub.graph([k])
        assert bool((sub.node_task[node_ids] == k).all())
        assert edge_index.size(1) < full.edge_index.size(1)
        for part in ("train", "test"):
            a, b = full.batch(k, part), sub.batch(k, part)
            assert torch.equal(a.targets, b.targets)
            torch.testing.assert_close(b.logits(model(b.x, b.edge_index)), a.logits(out))
    joint = sub.joint_batches(2)
    assert all(b.x is joint[0].x and b.edge_index is joint[0].edge_index for b in joint)
    out_joint = model(joint[0].x, joint[0].edge_index)
    for a, b in zip(full.joint_batches(2), joint, strict=True):
        torch.testing.assert_close(b.logits(out_joint), a.logits(out))


def test_task_subgraph_training_equals_whole_graph_training_without_dropout():
    from tenfold.continual import EWC, GAT, ContinualTrainer
    results = []
    for stream in _pair():
        for plugins, joint in (((), False), ((EWC(1e4),), False), ((), True)):
            torch.manual_seed(0)
            model = GAT(stream.x.size(1), 4, stream.num_outputs, heads=2, dropout=0.0)
            trainer = ContinualTrainer(model, lambda p: torch.optim.Adam(p, 1e-2), 10,
                                       plugins, joint)
            results.append(trainer.fit(stream))
    for a, b in zip(results[:3], results[3:], strict=True):
        torch.testing.assert_close(torch.tensor(b.losses), torch.tensor(a.losses), rtol=1e-4,
                                   atol=1e-6)
        torch.testing.assert_close(b.matrix, a.matrix, equal_nan=True)


def test_task_subgraphs_need_no_inter_task_edges():
    with pytest.raises(ValueError, match="inter_task_edges=False"):
        TaskStream(_graph(), 2, task_subgraphs=True)
