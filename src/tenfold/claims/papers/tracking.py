"""Tracking-by-counting (arXiv 2007.09509). The paper's tables were not retrieved (the spec:
"MOTA, IDF1 and IDsw tables: unknown"); its abstract claims that jointly modelling detection,
counting and tracking as one network-flow program beats tracking-by-detection in crowds."""

from tenfold.claims.model import Claim, Paper

_PAPER = Paper(None, "abstract only, no number (tables not retrieved)")
_PROTOCOL = "crowded scenes (PETS2009, UCSD, cells, fish), MOTA / IDF1"
_OURS = ("synthetic crowd, 32 × 32 grid, 20 frames, 40 targets, the same density maps for every "
         "tracker, 3 paired seeds, CPU")
_FILE = ("tracking.json#synthetic-40",)

CLAIMS = (
    Claim(id="tracking-crowd-mota", method="tracking", dataset="synthetic-crowd",
          claim="In a crowd, tracking-by-counting reaches a higher MOTA than "
                "tracking-by-detection (density peaks linked by the Hungarian method).",
          metric="mota", higher_is_better=True, kind="difference", arm="counting",
          baseline="peaks_hungarian", paper=_PAPER, protocol=_PROTOCOL, ours=_OURS,
          results=_FILE),
    Claim(id="tracking-crowd-idf1", method="tracking", dataset="synthetic-crowd",
          claim="In a crowd, tracking-by-counting keeps identities better (IDF1) than "
                "tracking-by-detection (density peaks linked by the Hungarian method).",
          metric="idf1", higher_is_better=True, kind="difference", arm="counting",
          baseline="peaks_hungarian", paper=_PAPER, protocol=_PROTOCOL, ours=_OURS,
          results=_FILE),
)
