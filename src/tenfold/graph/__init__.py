"""Graph learning: layers and models as PyG objects (SPAGAN, FactorGCN) and full-batch training."""
