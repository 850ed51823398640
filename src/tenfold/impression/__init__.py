"""Impression space from a deep template network (Fang et al., arXiv 2007.05441): encode images
into per-image BN-input statistics of a trained CNN, decode impressions back into images, and use
the space for retrieval, unpaired translation and synthesis; with a DeepInversion-style baseline.
"""

from tenfold.impression.applications import (
    Standardizer,
    class_score_decoder,
    deepinversion_decoder,
    deepinversion_synthesize,
    similarity,
    synthesize,
    translate,
)
from tenfold.impression.data import MIX_SEED, class_pair, prepare_images
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
from tenfold.impression.evaluation import (
    ablation_weights,
    class_balanced_indices,
    class_impressions,
    reconstruction_scores,
    retrieval_scores,
    same_class_images,
    translation_scores,
)
from tenfold.impression.metrics import loo_1nn_accuracy, psnr, ssim
from tenfold.impression.models import (
    Standardize,
    bn_layer_count,
    last_stage_layers,
    predict_labels,
    template_classifier,
)
from tenfold.impression.retrieval import (
    ImpressionView,
    impression_features,
    penultimate_features,
    standard_views,
)
from tenfold.impression.session import ExperimentSession
from tenfold.impression.template import Impression, TemplateNetwork, fingerprint

__all__ = [
    "MIX_SEED", "DecodeSettings", "ExperimentSession", "ImageDecoder", "Impression",
    "ImpressionView", "Standardize", "Standardizer", "TemplateNetwork", "ablation_weights",
    "bn_layer_count", "class_balanced_indices", "class_impressions", "class_pair",
    "class_score_decoder", "decode", "decoder", "deepinversion_decoder", "deepinversion_objective",
    "deepinversion_synthesize", "fingerprint", "impression_features", "impression_loss",
    "impression_objective", "last_stage_layers", "loo_1nn_accuracy", "penultimate_features",
    "predict_labels", "prepare_images", "psnr", "reconstruction_scores", "retrieval_scores",
    "same_class_images", "similarity", "ssim", "standard_views", "synthesize",
    "template_classifier", "total_variation", "translate", "translation_scores",
]
