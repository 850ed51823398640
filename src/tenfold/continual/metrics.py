"""Continual-learning metrics computed from an accuracy matrix.

``R[i, j]`` is the accuracy on task ``j``'s test nodes after training on tasks ``0..i``
(entries with ``j > i`` are not needed and may be NaN). With ``K`` tasks:

* average performance (AP): :math:`\\mathrm{AP} = \\frac1K \\sum_{j<K} R_{K-1,j}`
* backward transfer (BWT, Lopez-Paz & Ranzato 2017; signed, negative = forgetting):
  :math:`\\mathrm{BWT} = \\frac1{K-1} \\sum_{j<K-1} (R_{K-1,j} - R_{j,j})`
* average forgetting (AF) as reported in the TWP paper (arXiv 2012.06002; positive = forgetting,
  lower is better):
  :math:`\\mathrm{AF} = \\frac1{K-1} \\sum_{j<K-1} (R_{j,j} - R_{K-1,j}) = -\\mathrm{BWT}`.
  (The official TWP code and CGLB print the signed value ``BWT`` under the name AF; tables in the
  paper show its magnitude.)
* maximum forgetting (Chaudhry et al. 2018):
  :math:`\\frac1{K-1} \\sum_{j<K-1} \\max_{l<K-1} (R_{l,j} - R_{K-1,j})`.
"""

from __future__ import annotations

import torch


def _check(matrix: torch.Tensor) -> torch.Tensor:
    matrix = torch.as_tensor(matrix, dtype=torch.float64)
    if matrix.dim() != 2 or matrix.size(0) != matrix.size(1) or matrix.size(0) < 1:
        raise ValueError(f"expected a square accuracy matrix [K, K], got shape "
                         f"{tuple(matrix.shape)}")
    lower = torch.tril(matrix)
    if torch.isnan(lower).any():
        raise ValueError("accuracy matrix has NaN on or below the diagonal (R[i, j] for j <= i "
                         "must be measured)")
    return matrix


def average_performance(matrix: torch.Tensor) -> float:
    """AP: mean accuracy over all tasks after training on the last one."""
    matrix = _check(matrix)
    return float(matrix[-1].mean())


def backward_transfer(matrix: torch.Tensor) -> float:
    """BWT: mean of ``R[K-1, j] - R[j, j]`` over ``j < K-1`` (negative = forgetting; 0 if K=1)."""
    matrix = _check(matrix)
    k = matrix.size(0)
    if k == 1:
        return 0.0
    diag = torch.diagonal(matrix)[:-1]
    return float((matrix[-1, :-1] - diag).mean())


def average_forgetting(matrix: torch.Tensor) -> float:
    """AF (paper convention): mean of ``R[j, j] - R[K-1, j]`` over ``j < K-1``; equals ``-BWT``."""
    return -backward_transfer(matrix)


def max_forgetting(matrix: torch.Tensor) -> float:
    """Chaudhry et al.'s forgetting: best earlier accuracy minus final accuracy, averaged."""
    matrix = _check(matrix)
    k = matrix.size(0)
    if k == 1:
        return 0.0
    best = torch.stack([matrix[:-1, j][j:].max() for j in range(k - 1)])
    return float((best - matrix[-1, :-1]).mean())


def continual_metrics(matrix: torch.Tensor) -> dict[str, float]:
    """``{"ap", "af", "bwt", "max_forgetting"}`` of an accuracy matrix."""
    return {"ap": average_performance(matrix), "af": average_forgetting(matrix),
            "bwt": backward_transfer(matrix), "max_forgetting": max_forgetting(matrix)}
