"""Where the sensor sits: body segment, position on it, strain-bridge calibration, load path."""

from __future__ import annotations

from dataclasses import dataclass

from scenarios.physiology import HIP_PEAK_BW, KNEE_PEAK_BW, LIMB_PEAK_BW


@dataclass(frozen=True)
class Site:
    name: str
    #: "shank", "thigh" or "trunk": the segment whose motion the sensor follows.
    segment: str
    #: Sensor position along the segment from its proximal joint, as a fraction of its length.
    position_fraction: float
    #: "knee" / "hip" joint contact force, "limb" axial load (plates, orthosis) or "none".
    load_path: str
    #: Share of the limb load the implant carries before any bone healing (plates, orthosis).
    load_share: float
    #: Strain-bridge calibration, µε per N. Chosen by this project so that a 100 kg patient's
    #: heaviest daily activity (stairs down) stays inside the ICD full scale of ±3276.7 µε, while
    #: walking of a 70 kg patient spans > 1000 codes of 0.1 µε.
    strain_ue_per_n: float
    #: Shock transmitted to the sensor from an ipsilateral heel strike, relative to the distal
    #: tibia. Soft tissue and joints attenuate it on the way up (assumption after tibial vs
    #: sacral peak-acceleration studies: ≈ 1 : 0.5 : 0.3).
    impact_gain: float
    #: How long a heel strike's shock lasts at the sensor, and its peak relative to the 20 ms
    #: pulse ``impact_gain`` gives: the shank feels the foot's short impact; joints, spine and
    #: soft tissue spread it on the way to the trunk and lower its peak.
    heel_strike_duration_s: float = 0.02
    heel_strike_peak_factor: float = 1.0
    #: Walking's unstructured trunk motion (soft tissue, a wearable's belt, muscle bursts): the
    #: RMS peak of random 3-15 Hz pulses in random directions during gait, m/s² (0: none).
    gait_wobble_mps2: float = 0.0
    #: Step-to-step scatter (SD, s) of when a heel strike's shock peaks at the sensor relative
    #: to the contact itself: at the trunk the loading response's timing varies with each step's
    #: knee flexion and pelvic drop, where a shank feels the foot's impact at once (0: none).
    heel_strike_jitter_s: float = 0.0

    def peak_load_bw(self, activity: str) -> float:
        """Peak implant load in multiples of body weight for ``activity`` (before healing share)."""
        table = {"knee": KNEE_PEAK_BW, "hip": HIP_PEAK_BW, "limb": LIMB_PEAK_BW}.get(self.load_path)
        if table is None:
            return 0.0
        return table[activity] * self.load_share

    @property
    def foot_to_implant(self) -> float:
        """Implant load per unit of foot load during walking: converts a prescribed weight-bearing
        limit (kg on a scale) into the implant's own load limit."""
        return self.peak_load_bw("walk") / LIMB_PEAK_BW["walk"] if self.load_path != "none" else 0.0


#: The lower back's heel strike, its timing and the gait wobble, matched to one participant's
#: recordings (mobgap 1.2.0 HA/001, 3 walks, 80 INDIP contacts; HA/002 and MS/001 left as the
#: judge): at 100 Hz a heel strike's sharpness 47 mg, 1.5 times mid-step's, 32 % of |a|'s
#: 0.5-20 Hz power above 3 Hz, medio-lateral RMS 130 mg (bench/verification/
#: waveform_credibility.py), and the loading bump's scatter about the contact (interquartile
#: range of a band-passed |a| peak's offset 40 ms on HA/001; 16 ms without jitter, 41 ms with
#: 20 ms). The form is an assumption (a widened half-sine, Poisson pulses, Gaussian timing), the
#: sizes are fitted. Without them the library's trunk had a shank's sharp heel strike at a fixed
#: delay, which the sharpness detector found at 1.00 where real trunks give it 0.66.
LOWER_BACK_MATCHED = {
    "heel_strike_duration_s": 0.09,
    "heel_strike_peak_factor": 0.47,
    "gait_wobble_mps2": 1.6,
    "heel_strike_jitter_s": 0.02,
}

SITES: dict[str, Site] = {
    s.name: s
    for s in (
        Site("tibial_plate", "shank", 0.5, "limb", 1.0, 1.0, 0.8),
        Site("femoral_plate", "thigh", 0.55, "limb", 1.0, 1.0, 0.5),
        Site("hip_stem", "thigh", 0.12, "hip", 1.0, 0.35, 0.45),
        Site("knee_tibial_tray", "shank", 0.08, "knee", 1.0, 0.3, 0.7),
        # The orthosis strut carries part of the limb load (assumption: 40 %).
        Site("ankle_orthosis", "shank", 0.85, "limb", 0.4, 1.5, 1.0),
        Site("lower_back", "trunk", 0.15, "none", 0.0, 0.0, 0.3, **LOWER_BACK_MATCHED),
    )
}


#: Segment lengths as fractions of body height (Winter, Biomechanics and Motor Control of Human
#: Movement, anthropometric table): thigh 0.245 H, shank 0.246 H, hip joint at 0.53 H,
#: trunk (hip to shoulder) 0.288 H.
THIGH_LENGTH_PER_HEIGHT = 0.245
SHANK_LENGTH_PER_HEIGHT = 0.246
TRUNK_LENGTH_PER_HEIGHT = 0.288
