"""Continual learning on graphs: task streams, TWP and its baselines, continual metrics."""

from tenfold.continual.metrics import (
    average_forgetting,
    average_performance,
    backward_transfer,
    continual_metrics,
)
from tenfold.continual.penalty import QuadraticPenalty
from tenfold.continual.plugins import EWC, MAS, ContinualPlugin, LwF
from tenfold.continual.stream import Task, TaskBatch, TaskStream
from tenfold.continual.topology import AttentionRecorder, pseudo_attention
from tenfold.continual.trainer import ContinualResult, ContinualTrainer
from tenfold.continual.twp import TWP, attention_norm
from tenfold.graph.baselines import GAT, GCN  # the TWP paper's backbones

__all__ = ["EWC", "GAT", "GCN", "MAS", "TWP", "AttentionRecorder", "ContinualPlugin",
           "ContinualResult", "ContinualTrainer", "LwF", "QuadraticPenalty", "Task", "TaskBatch",
           "TaskStream", "attention_norm", "average_forgetting", "average_performance",
           "backward_transfer", "continual_metrics", "pseudo_attention"]
