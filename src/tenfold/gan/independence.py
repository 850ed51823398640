"""Check that a discriminator scores each sample independently of the rest of its batch.

One-stage training with an asymmetric loss rescales the gradient at each generated image x̃_i by
γ_i = ℓ_g'(p_i)/ℓ_f'(p_i) (arXiv 2103.00430, Eq. for gradient decomposition). That identity needs
∂p_j/∂x̃_i = 0 for j ≠ i, which BatchNorm in training mode, minibatch standard deviation and
cross-sample attention break. The probe below changes one sample and looks at the other logits.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["check_sample_independence"]


@torch.no_grad()
def check_sample_independence(discriminator: nn.Module, x: Tensor, rtol: float = 1e-4,
                              atol: float = 1e-5) -> tuple[bool, float]:
    """Perturb sample 0 of ``x`` and test whether the logits of samples 1..B-1 move.

    The discriminator is run twice in its current mode (train/eval) with the same random state
    (so dropout does not count as a dependence); its buffers (BatchNorm running statistics) and
    the global random state (CPU, and ``x``'s CUDA device) are restored afterwards, so the probe
    leaves no trace.

    Args:
        discriminator: maps ``(B, ...)`` to logits with ``B`` as first dimension.
        x: a batch of at least 2 inputs (e.g. detached generated images).
        rtol, atol: tolerance on ``|p'_j − p_j| <= atol + rtol·|p_j|``.

    Returns:
        ``(independent, max_change)`` where ``max_change`` is the largest absolute change of an
        unperturbed sample's logit.
    """
    if x.dim() < 1 or x.shape[0] < 2:
        raise ValueError(f"check_sample_independence needs a batch of at least 2 samples, "
                         f"got input of shape {tuple(x.shape)}")
    x = x.detach()
    saved = {k: b.detach().clone() for k, b in discriminator.named_buffers()}
    cuda = x.device if x.device.type == "cuda" else None
    try:
        # fork_rng restores the global random state on exit; inside, both runs start from it
        with torch.random.fork_rng(devices=[cuda] if cuda is not None else []):
            cpu_state = torch.get_rng_state()
            cuda_state = torch.cuda.get_rng_state(cuda) if cuda is not None else None
            before = discriminator(x).reshape(x.shape[0], -1)
            changed = x.clone()
            changed[0] = changed[0] * 3.0 + 1.0
            torch.set_rng_state(cpu_state)
            if cuda_state is not None:
                torch.cuda.set_rng_state(cuda_state, cuda)
            after = discriminator(changed).reshape(x.shape[0], -1)
    finally:
        buffers = dict(discriminator.named_buffers())
        for k, v in saved.items():
            buffers[k].copy_(v)
    diff = (after[1:] - before[1:]).abs()
    ok = bool((diff <= atol + rtol * before[1:].abs()).all())
    return ok, float(diff.max()) if diff.numel() else 0.0
