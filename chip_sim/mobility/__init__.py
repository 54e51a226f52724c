"""Digital mobility biomarkers (issue 8), computed from what the implant records — the chip's
STEP and walking-bout events and the sampled IMU window of each qualified bout — never from the
scenario's truth, which only judges them (:mod:`chip_sim.mobility.truth`)."""

from chip_sim.mobility.estimate import BOUT_DTYPE, bout_biomarkers
from chip_sim.mobility.recording import Bout, bouts_of

__all__ = ["BOUT_DTYPE", "Bout", "bout_biomarkers", "bouts_of"]
