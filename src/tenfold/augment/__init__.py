"""Data augmentation: SnapMix and the mixing baselines (MixUp, CutMix) as batch transforms."""
