"""Continual learning on graphs: task streams, TWP and its baselines, continual metrics."""
