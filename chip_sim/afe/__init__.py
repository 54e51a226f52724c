"""Analog front end of the SmILE sensor chip: physical signals → the i16 codes of ICD section 1.

Typical use::

    from chip_sim.afe import FrontEnd, FrontEndConfig, FrontEndFault

    codes = FrontEnd().digitise(rendering, rng=np.random.default_rng(seed), rate_hz=100)
    codes.codes        # (N, 8) int16, ICD channel order
    codes.brownouts    # ((start_sample, end_sample), ...) for the digital core's RESET

``FrontEnd(config=FrontEndConfig.ideal())`` is the replay front end for recorded real data.
"""

from chip_sim.afe.channels import (
    CHANNEL_NAMES,
    FULL_SCALE_CODE,
    GROUPS,
    LSB_ICD,
    LSB_INPUT,
    NO_DATA,
    Codes,
    to_physical,
)
from chip_sim.afe.faults import KINDS as FAULT_KINDS
from chip_sim.afe.faults import FrontEndFault
from chip_sim.afe.frontend import FrontEnd, FrontEndConfig
from chip_sim.afe.sensors import (
    Accelerometer,
    Device,
    Gyroscope,
    StrainBridge,
    TemperatureSensor,
)

__all__ = [
    "CHANNEL_NAMES",
    "FAULT_KINDS",
    "FULL_SCALE_CODE",
    "GROUPS",
    "LSB_ICD",
    "LSB_INPUT",
    "NO_DATA",
    "Accelerometer",
    "Codes",
    "Device",
    "FrontEnd",
    "FrontEndConfig",
    "FrontEndFault",
    "Gyroscope",
    "StrainBridge",
    "TemperatureSensor",
    "to_physical",
]
