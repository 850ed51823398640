"""Graph learning: layers and models as PyG objects (SPAGAN, FactorGCN) and full-batch training."""
from tenfold.graph.disentangle import c_score, factor_adjacency, ged, ged_e  # noqa: F401
from tenfold.graph.factorgcn import FactorConv, FactorDiscriminator, FactorGCN  # noqa: F401
from tenfold.graph.paths import PathSet, ShortestPathSampler, attention_to_cost  # noqa: F401
from tenfold.graph.spagan import SPAGAN, SPAAttention, SPAConv  # noqa: F401
from tenfold.graph.spagan_train import fit_spagan  # noqa: F401
