"""PETS 2009 S2L1 (view 1): video frames through OpenCV and MOTChallenge ground truth/detections.

Frame ``i`` of the video (0-based) is frame ``i + 1`` of the annotation files.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tenfold.data.catalog import DatasetSpec, register_dataset

FOLDER = "tracking/PETS09-S2L1"


@dataclass(frozen=True)
class VideoSequence:
    """A video with MOT-format annotation files. Read boxes with ``motmetrics.io.loadtxt``."""

    video: Path
    gt: Path
    det: Path

    def frames(self, start: int = 0, stop: int | None = None, gray: bool = False
               ) -> Iterator[np.ndarray]:
        """Yield frames ``start..stop-1`` (0-based) as HxWx3 RGB (or HxW gray) uint8 arrays."""
        try:
            import cv2
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ImportError("reading video needs OpenCV: "
                              "pip install 'tenfold[tracking]'") from exc
        cap = cv2.VideoCapture(str(self.video))
        if not cap.isOpened():
            raise OSError(f"cannot open video {self.video}")
        try:
            cap.set(cv2.CAP_PROP_POS_FRAMES, start)
            index = start
            while stop is None or index < stop:
                ok, frame = cap.read()
                if not ok:
                    break
                code = cv2.COLOR_BGR2GRAY if gray else cv2.COLOR_BGR2RGB
                yield cv2.cvtColor(frame, code)
                index += 1
        finally:
            cap.release()

    def load_boxes(self, which: str = "gt") -> np.ndarray:
        """Rows ``frame, id, x, y, w, h, flag/conf, ...`` of ``gt`` or ``det`` as a float array."""
        path = {"gt": self.gt, "det": self.det}[which]
        return np.loadtxt(path, delimiter=",", ndmin=2)


def _pets(root: Path, download: bool) -> VideoSequence:
    base = root / FOLDER
    return VideoSequence(video=base / "video.avi", gt=base / "gt" / "gt.txt",
                         det=base / "det" / "det.txt")


register_dataset(DatasetSpec(
    name="pets09-s2l1", description="PETS09-S2L1 video (795 frames) + MOT15 gt/det",
    required=(f"{FOLDER}/video.avi", f"{FOLDER}/gt/gt.txt", f"{FOLDER}/det/det.txt"),
    load=_pets, how_to_get="use a TENFOLD_DATA mirror with tracking/PETS09-S2L1",
))


@dataclass(frozen=True)
class AnnotatedSequence:
    """MOTChallenge ground truth without video (trajectories only) and its image size."""

    gt: Path
    image_size: tuple[int, int]   # height, width in pixels

    def load_boxes(self, which: str = "gt") -> np.ndarray:
        """Rows ``frame, id, x, y, w, h, flag, ...`` of the ground truth as a float array."""
        if which != "gt":
            raise ValueError(f"{self.gt.parent.name} has ground truth only, not {which!r}")
        return np.loadtxt(self.gt, delimiter=",", ndmin=2)


def _motmetrics_sequence(name: str) -> AnnotatedSequence:
    try:
        import motmetrics
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError(f"{name} ships with motmetrics: pip install 'tenfold[tracking]'"
                          ) from exc
    return AnnotatedSequence(gt=Path(motmetrics.__file__).parent / "data" / name / "gt.txt",
                             image_size=(480, 640))


register_dataset(DatasetSpec(
    name="tud-stadtmitte", description="TUD-Stadtmitte ground-truth trajectories (179 frames, "
    "640x480) shipped inside the motmetrics wheel (embedded, no video)",
    required=(), load=lambda root, download: _motmetrics_sequence("TUD-Stadtmitte"),
))
