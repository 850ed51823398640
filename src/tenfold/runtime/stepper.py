"""The training-loop protocol, re-exported for the runtime: see :mod:`tenfold.loops`."""

from tenfold.loops import EpochTrainer, LoopStepper, Stepper, classifier_trainer

__all__ = ["EpochTrainer", "LoopStepper", "Stepper", "classifier_trainer"]
