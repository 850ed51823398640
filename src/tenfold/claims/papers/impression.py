"""Impression space from a deep template network (arXiv 2007.05441). Only the abstract and the
introduction's opening were read (the spec: "headline numbers not retrieved"; the abstract claims
qualitative results: reconstruction, unpaired translation and synthesis by impression matching,
with no further network training)."""

from tenfold.claims.model import Claim, Paper

_PAPER = Paper(None, "abstract only, no number")
_OURS = ("digits, a small template CNN, the `quick` preset, 3 paired seeds, CPU; "
         "the baselines are ours (the paper's were not read)")
_FILE = ("impression.json",)

CLAIMS = (
    Claim(id="impression-synthesis", method="impression", dataset="digits",
          claim="Images synthesised by impression matching, with no generator trained, teach a "
                "student better than BN-statistics inversion (DeepInversion-style) images.",
          metric="student_acc", higher_is_better=True, kind="difference", arm="impression",
          baseline="deepinversion", paper=_PAPER,
          protocol="image synthesis through impression matching (abstract)", ours=_OURS,
          results=_FILE),
    Claim(id="impression-translation", method="impression", dataset="digits",
          claim="Unpaired translation by impression matching turns an image into the target "
                "class (verifier success) more often than pushing the class score alone "
                "(cross-entropy at 5× the step, which stays less similar to the source).",
          metric="translate_verifier", higher_is_better=True, kind="difference",
          arm="impression", baseline="ce-only-x5", paper=_PAPER,
          protocol="unpaired image translation (abstract)", ours=_OURS, results=_FILE),
)
