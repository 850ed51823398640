"""Tracking-by-counting (Ren et al., arXiv 2007.09509): density maps to trajectories through one
network-flow program with count constraints, its baselines and MOT metrics."""

from tenfold.track.baselines import PeakFlowTracker, PeakHungarianTracker, find_peaks
from tenfold.track.counting import CountingTracker, TrackResult
from tenfold.track.density import gaussian_peak, render_boxes, render_points
from tenfold.track.metrics import hota, mot_metrics
from tenfold.track.motformat import format_mot, parse_mot

__all__ = ["CountingTracker", "PeakFlowTracker", "PeakHungarianTracker", "TrackResult",
           "find_peaks", "format_mot", "gaussian_peak", "hota", "mot_metrics", "parse_mot",
           "render_boxes", "render_points"]
