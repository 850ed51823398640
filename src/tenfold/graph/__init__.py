"""Graph learning: layers and models as PyG objects (SPAGAN, FactorGCN) and full-batch training."""
from tenfold.graph.paths import PathSet, ShortestPathSampler, attention_to_cost  # noqa: F401
from tenfold.graph.spagan import SPAGAN, SPAAttention, SPAConv  # noqa: F401
