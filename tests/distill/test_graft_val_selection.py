"""NetGraft with ``val_data`` keeps the stage-2 step with the HIGHEST teacher agreement.

The agreement is recorded at every step (``eval_every=1``); the kept weights — the trainer's own
net hybrid and the exported student — must reproduce the largest recorded value. The settings
are chosen so that the recorded agreements rise, fall and rise again: the best step is neither
the first, nor the last, nor the worst, so keeping the last, the first or the lowest would show.
"""

from __future__ import annotations

import torch
from torch import nn

from tenfold.distill import BlockPartition, NetGraft, teacher_agreement, vgg_blocks


def teacher() -> nn.Sequential:
    torch.manual_seed(0)
    model = vgg_blocks(1, (6, 8, 10), num_classes=5, hidden=12, convs_per_block=1)
    with torch.no_grad():  # non-trivial BN statistics
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
    return model.eval()


def student() -> nn.Sequential:
    torch.manual_seed(1)
    return vgg_blocks(1, (6, 4, 5), num_classes=5, hidden=6, convs_per_block=1)


def images(n: int, seed: int) -> torch.Tensor:
    return 3 * torch.randn(n, 1, 8, 8, generator=torch.Generator().manual_seed(seed))


def test_the_kept_weights_have_the_highest_recorded_agreement():
    t = teacher()
    val = images(64, seed=5)
    assert len(set(t(val).argmax(1).tolist())) >= 3  # the teacher is not a constant
    g = NetGraft(BlockPartition(list(t)), BlockPartition(list(student())), images(2, 2),
                 graft=[1, 2, 3], generator=torch.Generator().manual_seed(0))
    g.fit(images(24, 2), block_steps=3, net_steps=[1, 8], lr_net=3e-2, batch_size=8,
          eval_every=1, val_data=val)
    recorded = [h["val_agreement"] for h in g.history
                if h["stage"] == "net" and h["index"] == 3]
    assert len(recorded) == 8
    best = max(recorded)
    # a telling trajectory: the best step is not the first or the last, and not the worst
    assert recorded.index(best) not in (0, len(recorded) - 1)
    assert best > recorded[-1] and best > min(recorded)
    kept = teacher_agreement(g.net_hybrid(3).eval(), t, val)
    assert kept == best
    assert teacher_agreement(g.export(), t, val) == best
