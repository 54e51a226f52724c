"""Bit-exact golden model of the chip's digital core.

``reference`` is the executable specification, written sample by sample as the RTL computes;
``vectorised`` computes the same events with numpy for speed. Tests hold them equal on every
library scenario.
"""

from chip_sim.core.chip import Chip, CoreOutput

__all__ = ["Chip", "CoreOutput"]
