"""GAN training: one-stage training by gradient decomposition and data-free distillation."""

from tenfold.gan.dfad import DataFreeDistillation, dfad_one_stage_backward, l1_discrepancy
from tenfold.gan.independence import check_sample_independence
from tenfold.gan.losses import (
    CustomLoss,
    GANLoss,
    Hinge,
    LeastSquares,
    Minimax,
    NonSaturating,
    Wasserstein,
    get_loss,
)
from tenfold.gan.onestage import OneStageGAN, one_stage_backward, two_stage_reference_backward
from tenfold.gan.scale import GradientReversal, scale_grad

__all__ = ["CustomLoss", "DataFreeDistillation", "GANLoss", "GradientReversal", "Hinge",
           "LeastSquares", "Minimax", "NonSaturating", "OneStageGAN", "Wasserstein",
           "check_sample_independence", "dfad_one_stage_backward", "get_loss", "l1_discrepancy",
           "one_stage_backward", "scale_grad", "two_stage_reference_backward"]
