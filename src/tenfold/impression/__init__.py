"""Impression space from a deep template network (Fang et al., arXiv 2007.05441): encode images
into per-image BN-input statistics of a trained CNN, decode impressions back into images, and use
the space for retrieval, unpaired translation and synthesis; with a DeepInversion-style baseline.
"""

from tenfold.impression.applications import (
                                             Standardizer,
                                             deepinversion_decoder,
                                             deepinversion_synthesize,
                                             similarity,
                                             synthesize,
                                             translate,
)
from tenfold.impression.decode import (
                                             DecodeSettings,
                                             ImageDecoder,
                                             decode,
                                             decoder,
                                             deepinversion_objective,
                                             impression_loss,
                                             impression_objective,
                                             total_variation,
)
from tenfold.impression.metrics import loo_1nn_accuracy, psnr, ssim
from tenfold.impression.template import Impression, TemplateNetwork, fingerprint

__all__ = [
    "DecodeSettings", "ImageDecoder", "Impression", "Standardizer", "TemplateNetwork", "decode",
    "decoder", "deepinversion_decoder", "deepinversion_objective", "deepinversion_synthesize",
    "fingerprint", "impression_loss", "impression_objective", "loo_1nn_accuracy", "psnr",
    "similarity", "ssim", "synthesize", "total_variation", "translate",
]
