"""Knowledge distillation: NetGraft progressive network grafting and its baselines."""

from tenfold.distill.adapters import make_adapter, merge_affine
from tenfold.distill.baselines import accuracy, distill, shared_prefix_student, train_supervised
from tenfold.distill.fewshot import RandomShiftFlip, few_shot_indices
from tenfold.distill.graft import FrozenBlock, Hybrid, NetGraft, teacher_agreement
from tenfold.distill.losses import kd_kl, normalized_mse
from tenfold.distill.models import count_macs, count_parameters, vgg_blocks
from tenfold.distill.partition import BlockPartition

__all__ = [
    "BlockPartition", "FrozenBlock", "Hybrid", "NetGraft", "RandomShiftFlip", "accuracy",
    "count_macs", "count_parameters", "distill", "few_shot_indices", "kd_kl", "make_adapter",
    "merge_affine", "normalized_mse", "shared_prefix_student", "teacher_agreement",
    "train_supervised", "vgg_blocks",
]
