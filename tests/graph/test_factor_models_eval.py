"""tenfold.graph.factor_models / factor_eval / factor_figures: the FactorGCN comparison's models,
its one supervised trainer and its scores, against hand computations."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from tenfold.data.synthetic.factor_graphs import synthetic_factor_graphs
from tenfold.graph.batching import GraphBatcher
from tenfold.graph.factor_eval import (
    disentanglement,
    first_layer_factors,
    graph_trainer,
    micro_f1,
    predict,
    total_loss,
)
from tenfold.graph.factor_models import (
    SYNTHETIC_METHODS,
    TU_METHODS,
    graph_forward,
    synthetic_model,
    tu_model,
)
from tenfold.graph.factorgcn import FactorGCN


def test_micro_f1_by_hand():
    logits = torch.tensor([[1.0, -1.0, 2.0], [-1.0, 3.0, -2.0]])
    target = torch.tensor([[1.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
    # predictions 1,0,1 / 0,1,0: TP = 2, FP = 1, FN = 1 -> 4 / 6
    assert micro_f1(logits, target) == pytest.approx(4 / 6)
    assert micro_f1(-torch.ones(2, 3), torch.zeros(2, 3)) == 0.0
    with pytest.raises(ValueError, match="equal shapes"):
        micro_f1(logits, target[:1])


@pytest.fixture(scope="module")
def graphs():
    return synthetic_factor_graphs(num_graphs=40, seed=2)


def test_every_model_maps_graphs_to_outputs(graphs):
    batch = GraphBatcher(graphs, 8).batch(torch.arange(8))
    for method in SYNTHETIC_METHODS:
        torch.manual_seed(0)
        out = graph_forward(synthetic_model(method, graphs.num_features, 4), batch)
        assert out.shape == (8, 4), method
    for method in TU_METHODS:
        out = graph_forward(tu_model(method, graphs.num_features, 2).eval(), batch)
        assert out.shape == (8, 2), method
    with pytest.raises(ValueError, match="gin"):
        synthetic_model("gin", 15, 4)
    with pytest.raises(ValueError, match="mlp"):
        tu_model("mlp", 15, 2)
    nodis = synthetic_model("factorgcn-nodis", graphs.num_features, 4)
    assert isinstance(nodis, FactorGCN) and nodis.dis_weight == 0.0


def test_trainer_minimises_task_plus_disentangle_loss_and_resumes(graphs):
    def make():
        torch.manual_seed(0)
        model = synthetic_model("factorgcn", graphs.num_features, 4)
        gen = torch.Generator().manual_seed(1)
        loader = GraphBatcher(graphs, 10, shuffle=True, generator=gen)
        opt = torch.optim.Adam(model.parameters(), lr=5e-3)
        return model, graph_trainer(model, opt, loader, F.binary_cross_entropy_with_logits, 3,
                                    generator=gen)

    model, trainer = make()
    batch = GraphBatcher(graphs, 40).batch(torch.arange(40))
    task = F.binary_cross_entropy_with_logits(graph_forward(model, batch), batch.y)
    assert torch.equal(total_loss(model, task), task + model.disentangle_loss())
    trainer.run()
    full = predict(model, [batch])[0]
    model2, half = make()
    half.step()
    model3, resumed = make()
    resumed.load_state_dict(half.state_dict())
    resumed.run()
    assert torch.equal(predict(model3, [batch])[0], full)


def test_disentanglement_scores_factor_models_only(graphs):
    batch = GraphBatcher(graphs, 40).batch(torch.arange(40))
    torch.manual_seed(0)
    fgcn = synthetic_model("factorgcn", graphs.num_features, 4)
    factors = first_layer_factors(fgcn, batch)
    assert factors.shape == (batch.edge_index.size(1), 4)
    assert first_layer_factors(synthetic_model("gcn", graphs.num_features, 4), batch) is None
    assert disentanglement(synthetic_model("mlp", graphs.num_features, 4), batch) is None
    scores = disentanglement(fgcn, batch)
    assert {"ged_e", "c_score", "ged_e_equal_weights", "c_score_equal_weights"} <= set(scores)
    rand = disentanglement(None, batch, torch.Generator().manual_seed(0))
    assert rand == disentanglement(None, batch, torch.Generator().manual_seed(0))


def test_factor_graph_figure(graphs):
    from tenfold.graph.factor_figures import factor_graph_figure

    batch = GraphBatcher(graphs, 4).batch(torch.arange(4))
    torch.manual_seed(0)
    factors = first_layer_factors(synthetic_model("factorgcn", graphs.num_features, 4), batch)
    fig = factor_graph_figure(batch, factors, 2)
    assert len(fig.axes) == 2 * 2 * max(4, batch.gt_edge_factor.size(1))
