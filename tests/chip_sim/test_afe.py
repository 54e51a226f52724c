"""The analog front end: physical signals → the i16 codes of ICD section 1.

Each test states what a user of the codes relies on: scaling and signs, noise as configured,
clipping that never fakes "no data", the strain chain's resolution and drift, anti-aliasing, the
front-end faults, determinism, a library scenario end to end, and the exact replay front end.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.signal import welch

from chip_sim.afe import (
    FULL_SCALE_CODE,
    LSB_INPUT,
    NO_DATA,
    Accelerometer,
    Device,
    FrontEnd,
    FrontEndConfig,
    FrontEndFault,
    Gyroscope,
    StrainBridge,
    TemperatureSensor,
)
from scenarios import library
from scenarios.generator import EVENT_DTYPE, SEGMENT_DTYPE, Rendering, render
from scenarios.physiology import G_MPS2
from scenarios.schema import parse_scenario

STUB = parse_scenario(
    """
name: afe_stimulus
description: synthetic stimulus for the front-end tests
patient: {body_mass_kg: 75, height_m: 1.75, implant_site: knee_tibial_tray}
timeline:
  - {activity: stand, duration_s: 1}
""",
    "afe_stimulus.yaml",
)
DEFAULT = FrontEndConfig()
#: No noise, bias wander or sensor error: what is left is the chain's arithmetic.
QUIET = FrontEndConfig(
    accelerometer=Accelerometer(noise_ug_per_rthz=0, bias_instability_ug=0),
    gyroscope=Gyroscope(noise_mdps_per_rthz=0, bias_instability_dps=0),
    strain=StrainBridge(pga_noise_nv_per_rthz=0, pga_drift_uv_per_c=0),
    temperature=TemperatureSensor(noise_c_rms=0),
)


def stimulus(n, rate_hz=100.0, *, acc=(0.0, 0.0, G_MPS2), gyr=0.0, strain=0.0, temp=37.0):
    """A Rendering of ``n`` samples; each signal a constant or an array broadcast to its shape."""

    def full(value, shape):
        out = np.empty(shape, dtype=np.float32)
        out[...] = value
        return out

    return Rendering(
        scenario=STUB,
        seed=0,
        rate_hz=rate_hz,
        acc_mps2=full(acc, (n, 3)),
        gyr_dps=full(gyr, (n, 3)),
        strain_ue=full(strain, n),
        load_n=np.zeros(n, dtype=np.float32),
        temp_c=full(temp, n),
        events=np.array([], dtype=EVENT_DTYPE),
        segments=np.array([], dtype=SEGMENT_DTYPE),
    )


def digitise(r, seed=1, config=DEFAULT, **kwargs):
    return FrontEnd(config=config).digitise(r, rng=np.random.default_rng(seed), **kwargs)


# --- scaling ----------------------------------------------------------------------------------


@pytest.mark.parametrize("sign", [1, -1])
def test_constant_inputs_read_their_icd_codes_within_the_configured_errors(sign):
    r = stimulus(
        2000, acc=(0, 0, sign * G_MPS2), gyr=(sign * 100.0, 0, 0), strain=sign * 500.0, temp=37.0
    )
    mean = digitise(r).codes[200:].mean(axis=0)
    acc, gyr, sg, tmp = (
        DEFAULT.accelerometer,
        DEFAULT.gyroscope,
        DEFAULT.strain,
        DEFAULT.temperature,
    )
    # Per-device errors are drawn at 1σ = the datasheet figure: allow 4σ, plus the bias wander.
    acc_tol = 4 * (
        acc.offset_sigma_mg + acc.sensitivity_sigma * 1000 + acc.bias_instability_ug / 1e3
    )
    gyr_tol = (
        4 * (gyr.offset_sigma_dps + gyr.sensitivity_sigma * 100 + gyr.bias_instability_dps) * 10
    )
    # PGA offset is uniform within its maximum; drift at 37 °C against its 25 °C reference.
    strain_tol = (sg.pga_offset_max_uv + abs(sg.pga_drift_uv_per_c) * 12) / sg.uv_per_ue * 10
    temp_tol = tmp.accuracy_c * 128
    assert mean[2] == pytest.approx(sign * 1000, abs=acc_tol + 1)
    assert mean[3] == pytest.approx(sign * 1000, abs=gyr_tol + 1)
    assert mean[6] == pytest.approx(sign * 5000, abs=strain_tol + 1)
    assert mean[7] == pytest.approx(37 * 128, abs=temp_tol + 1)
    assert np.all(np.abs(mean[[0, 1]]) <= 4 * acc.offset_sigma_mg + 1)
    assert np.all(np.abs(mean[[4, 5]]) <= 4 * gyr.offset_sigma_dps * 10 + 1)


def test_a_nominal_device_reads_physical_over_lsb_up_to_noise():
    temp_c = -7.5
    r = stimulus(
        4000, acc=(0.5 * G_MPS2, 0, -G_MPS2), gyr=(0, -250.0, 42.0), strain=-1234.5, temp=temp_c
    )
    mean = digitise(r, device=Device()).codes[200:].mean(axis=0)
    sg = DEFAULT.strain  # the PGA offset drift is part of the chain, even on a nominal device
    drift_codes = sg.pga_drift_uv_per_c * (temp_c - sg.reference_temp_c) / sg.uv_per_ue * 10
    expected = [500, 0, -1000, 0, -2500, 420, -12345 + drift_codes, temp_c * 128]
    assert mean == pytest.approx(expected, abs=0.3)


# --- noise ------------------------------------------------------------------------------------


def measured_density(codes, lsb, rate_hz):
    """Median one-sided amplitude spectral density over 1..40 Hz, in the unit of ``lsb``/√Hz."""
    f, p = welch(codes.astype(float) * lsb, fs=rate_hz, nperseg=1024)
    return math.sqrt(np.median(p[(f >= 1) & (f <= 40)]))


def test_white_noise_density_of_a_still_recording_is_the_configured_one():
    rate = 100
    codes = digitise(stimulus(60_000, gyr=(0, 0, 0)), seed=4).codes
    # Rounding to codes adds LSB²/12 spread over 0..rate/2 on top of the sensor's density.
    quantisation = 1 / math.sqrt(12) / math.sqrt(rate / 2)  # codes/√Hz
    acc_ug = measured_density(codes[:, 2], 1000.0, rate)  # µg per mg code
    gyr_mdps = measured_density(codes[:, 3], 100.0, rate)  # mdps per 0.1 °/s code
    acc_expected = math.hypot(DEFAULT.accelerometer.noise_ug_per_rthz, 1000 * quantisation)
    gyr_expected = math.hypot(DEFAULT.gyroscope.noise_mdps_per_rthz, 100 * quantisation)
    assert acc_ug == pytest.approx(acc_expected, rel=0.2)
    assert gyr_mdps == pytest.approx(gyr_expected, rel=0.2)
    assert acc_ug == pytest.approx(160.0, rel=0.2)  # the BMI270 figure itself


# --- clipping and no data ---------------------------------------------------------------------


@pytest.mark.parametrize("config", [DEFAULT, FrontEndConfig.ideal()], ids=["default", "ideal"])
def test_inputs_beyond_full_scale_clip_exactly_and_never_read_no_data(config):
    n = 4000
    sweep = np.linspace(-2.0, 2.0, n)[:, None]  # ± twice full scale
    fs = np.array(FULL_SCALE_CODE) * np.array(LSB_INPUT)
    r = stimulus(
        n,
        acc=sweep * fs[:3],
        gyr=sweep * fs[3:6],
        strain=sweep[:, 0] * fs[6],
        temp=sweep[:, 0] * fs[7],
    )
    codes = digitise(r, config=config).codes
    assert list(codes.max(axis=0)) == list(FULL_SCALE_CODE)
    assert list(codes.min(axis=0)) == [-c for c in FULL_SCALE_CODE]
    assert not np.any(codes == NO_DATA)


def test_nan_inputs_read_no_data_and_do_not_disturb_what_follows():
    n = 3000
    acc = np.tile(np.float32([0, 0, G_MPS2]), (n, 1))
    acc[1000:1500, 1] = np.nan  # 100 Hz input: samples 100..149 at the output
    strain = np.full(n, 300.0, dtype=np.float32)
    strain[:50] = np.nan  # no data from the very start
    codes = digitise(stimulus(n, rate_hz=1000.0, acc=acc, strain=strain), device=Device()).codes
    assert np.all(codes[100:150, 1] == NO_DATA)
    assert np.all(codes[:5, 6] == NO_DATA)
    assert not np.any(codes[150:, 1] == NO_DATA) and not np.any(codes[5:, 6] == NO_DATA)
    assert np.all(np.abs(codes[150:, 1]) < 10)  # the filter was not poisoned by the gap
    assert np.all(np.abs(codes[5:, 6] - 3000) < 10)


# --- strain chain -----------------------------------------------------------------------------


@pytest.mark.parametrize("noise_nv", [50.0, 500.0])
def test_strain_noise_is_the_pga_input_noise_referred_to_microstrain(noise_nv):
    sg = StrainBridge(pga_noise_nv_per_rthz=noise_nv, pga_drift_uv_per_c=0)
    config = FrontEndConfig(strain=sg)
    codes = digitise(stimulus(20_000, strain=100.03), config=config, device=Device()).codes[:, 6]
    sigma_ue = sg.noise_ue_rms(100)
    assert sigma_ue == pytest.approx(noise_nv * 1e-9 * math.sqrt(50) / 6e-6)  # V / (V per µε)
    expected_codes = math.sqrt((sigma_ue / 0.1) ** 2 + 1 / 12)  # plus code quantisation
    assert codes.std() == pytest.approx(expected_codes, rel=0.1)


def test_strain_adc_resolution_follows_bits_reference_gain_and_bridge():
    sg = StrainBridge(adc_bits=12, pga_noise_nv_per_rthz=0, pga_drift_uv_per_c=0)
    # 2.5 V / 2^11 counts / gain 128 / (GF 2 × 3 V per ε) ≈ 1.59 µε per count.
    assert sg.adc_lsb_ue == pytest.approx(2.5 / 2**11 / 128 / 6e-6)
    assert StrainBridge().adc_lsb_ue == pytest.approx(2.5 / 2**23 / 128 / 6e-6)
    assert StrainBridge().full_scale_ue == pytest.approx(2.5 / 128 / 6e-6)
    ramp = np.linspace(0.0, 100.0, 5000)
    codes = digitise(
        stimulus(5000, strain=ramp), config=FrontEndConfig(strain=sg), device=Device()
    ).codes[:, 6]
    steps = np.diff(np.unique(codes))
    assert np.all(np.abs(steps - sg.adc_lsb_ue / 0.1) <= 1)  # each ADC count, in 0.1 µε codes


def test_pga_offset_drifts_with_the_channel_temperature_as_configured():
    sg = StrainBridge(pga_noise_nv_per_rthz=0, pga_drift_uv_per_c=2.0, reference_temp_c=25.0)
    temp = np.linspace(25.0, 45.0, 3000)
    codes = digitise(
        stimulus(3000, strain=100.0, temp=temp), config=FrontEndConfig(strain=sg), device=Device()
    ).codes[:, 6]
    # 2 µV/°C × ΔT, over 6 µV per µε, in 0.1 µε codes.
    expected = 1000 + 2.0 * (temp - 25.0) / sg.uv_per_ue * 10
    assert np.all(np.abs(codes[50:] - expected[50:]) <= 1)
    assert codes[-1] - codes[0] == pytest.approx(66.7, abs=1.5)


# --- anti-aliasing and rates ------------------------------------------------------------------


def amplitude(x, f_hz, rate_hz):
    t = np.arange(len(x)) / rate_hz
    basis = np.stack([np.sin(2 * np.pi * f_hz * t), np.cos(2 * np.pi * f_hz * t), np.ones_like(t)])
    coef = np.linalg.lstsq(basis.T, x, rcond=None)[0]
    return math.hypot(coef[0], coef[1])


@pytest.mark.parametrize("config", [DEFAULT, FrontEndConfig.ideal()], ids=["default", "ideal"])
def test_decimating_1khz_to_100hz_rejects_70hz_and_passes_2hz(config):
    t = np.arange(20_000) / 1000.0
    for f_hz, aliased_hz in ((70.0, 30.0), (2.0, 2.0)):
        a = np.zeros((len(t), 3))
        a[:, 0] = 5 * G_MPS2 * np.sin(2 * np.pi * f_hz * t)
        codes = digitise(stimulus(len(t), rate_hz=1000.0, acc=a), config=config).codes
        assert codes.shape == (2000, 8)
        gain_db = 20 * math.log10(amplitude(codes[200:, 0].astype(float), aliased_hz, 100) / 5000)
        if f_hz == 70.0:
            assert gain_db <= -20
        else:
            assert abs(gain_db) <= 1


@pytest.mark.parametrize(
    ("input_hz", "output_hz", "words"),
    [
        (1000.0, 300, ["300", "1000"]),
        (100.0, 200, ["200", "100"]),
        (1000.0, 25, ["25", "50..1600"]),
    ],
)
def test_refuses_an_output_rate_that_does_not_divide_the_input(input_hz, output_hz, words):
    with pytest.raises(ValueError) as err:
        digitise(stimulus(1000, rate_hz=input_hz), rate_hz=output_hz)
    assert all(w in str(err.value) for w in words)


# --- faults -----------------------------------------------------------------------------------

T0_S, DUR_S = 20.0, 5.0
I0, I1 = 2000, 2500


def walk_like(n=6000):
    t = np.arange(n) / 100.0
    wave = np.sin(2 * np.pi * 0.9 * t)[:, None]
    return stimulus(n, acc=(0, 0, G_MPS2) + 3 * wave, gyr=80 * wave, strain=300 + 200 * wave[:, 0])


@pytest.mark.parametrize(
    ("kind", "channel", "magnitude"),
    [
        ("open", "strain", None),
        ("short", 3, None),
        ("stuck", "acc", None),
        ("saturation", "temp", None),
        ("saturation", 6, None),
        ("drift", 4, 50.0),
        ("drift", "acc", -2 * G_MPS2),
        ("emi_burst", "gyr", 1000.0),
    ],
)
def test_each_fault_acts_in_its_interval_and_nowhere_else(kind, channel, magnitude):
    r = walk_like()
    fault = FrontEndFault(kind, channel, T0_S, DUR_S, magnitude)
    clean = digitise(r, seed=9, device=Device()).codes  # unit gain: the drift reads as set
    hit = digitise(r, seed=9, device=Device(), faults=(fault,)).codes
    chans = list(fault.channels)
    outside = np.ones(len(clean), bool)
    outside[I0:I1] = False
    assert np.array_equal(hit[outside], clean[outside])
    others = [c for c in range(8) if c not in chans]
    assert np.array_equal(hit[:, others], clean[:, others])
    inside, before = hit[I0:I1, chans], clean[I0 - 1, chans]
    if kind == "open":
        assert np.all(inside == NO_DATA)
    elif kind == "short":
        assert np.all(inside == 0)
    elif kind == "stuck":
        assert np.all(inside == before)
    elif kind == "saturation":
        assert np.all(inside == np.array(FULL_SCALE_CODE)[chans])
    elif kind == "drift":
        ramp = magnitude * np.arange(1, I1 - I0 + 1) / (I1 - I0)
        lsb = np.array(LSB_INPUT)[chans]
        delta = (hit[I0:I1, chans] - clean[I0:I1, chans]).astype(float)
        assert np.all(np.abs(delta - ramp[:, None] / lsb) <= 1.5)
    else:  # emi_burst: large noise, clipped at full scale, never "no data"
        fs = np.array(FULL_SCALE_CODE)[chans]
        assert np.all((hit[I0:I1, chans] - clean[I0:I1, chans]).std(axis=0) > 0.5 * magnitude / 0.1)
        assert np.all(np.abs(inside) <= fs) and np.any(np.abs(inside) == fs)
        assert not np.any(inside == NO_DATA)


def test_a_brownout_freezes_every_channel_and_is_reported():
    r = walk_like()
    clean = digitise(r, seed=9).codes
    out = digitise(r, seed=9, faults=(FrontEndFault("brownout", None, T0_S, DUR_S),))
    assert out.brownouts == ((I0, I1),)
    assert np.all(out.codes[I0:I1] == clean[I0 - 1])
    assert np.array_equal(out.codes[:I0], clean[:I0]) and np.array_equal(out.codes[I1:], clean[I1:])


def test_scenario_brownouts_reach_the_codes_and_sensor_dropouts_read_no_data():
    codes = digitise(render(library.load("system_faults"), 2, rate_hz=100.0))
    assert codes.brownouts == ((2000, 2050), (8000, 8200))  # 20 s + 0.5 s, 80 s + 2 s
    assert np.all(codes.codes[8000:8200] == codes.codes[7999])
    faulty = render(library.load("sensor_faults"), 2, rate_hz=100.0, duration_s=20.0)
    acc = digitise(faulty).codes[:, :3]
    assert np.all(acc[1500:1750] == NO_DATA)  # accelerometer dropout 15 s .. 17.5 s
    assert not np.any(acc[:1500] == NO_DATA)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("melt", 0, 1.0, 1.0), ["melt", "open"]),
        (("brownout", 3, 1.0, 1.0), ["brownout", "None"]),
        (("open", None, 1.0, 1.0), ["None", "0..7"]),
        (("open", 8, 1.0, 1.0), ["8", "0..7"]),
        (("short", "imu", 1.0, 1.0), ["imu", "acc"]),
        (("stuck", 0, -1.0, 1.0), ["-1.0", "≥ 0"]),
        (("stuck", 0, 1.0, 0.0), ["0.0", "> 0"]),
        (("open", 0, 1.0, 1.0, 5.0), ["open", "magnitude"]),
        (("emi_burst", 0, 1.0, 1.0, -1.0), ["-1.0", "> 0"]),
    ],
)
def test_invalid_faults_are_refused_naming_the_value(args, words):
    with pytest.raises(ValueError) as err:
        FrontEndFault(*args)
    assert all(w in str(err.value) for w in words)


def test_invalid_sensor_settings_are_refused_naming_the_value_and_range():
    with pytest.raises(ValueError, match=r"range_g 32.* \(0, 16\]"):
        Accelerometer(range_g=32)
    with pytest.raises(ValueError, match=r"adc_bits 40"):
        StrainBridge(adc_bits=40)
    with pytest.raises(ValueError, match=r"anti_alias_fraction 0.6"):
        FrontEndConfig(anti_alias_fraction=0.6)


# --- determinism, a library scenario, replay --------------------------------------------------


def test_the_same_seed_gives_identical_codes_and_another_seed_other_noise():
    r = walk_like()
    a, b, c = digitise(r, seed=21).codes, digitise(r, seed=21).codes, digitise(r, seed=22).codes
    assert a.dtype == np.int16 and np.array_equal(a, b)
    assert not np.array_equal(a[:, :3], c[:, :3])


def test_walking_digitises_at_100hz_with_the_heel_strike_peaks_visible():
    r = render(library.load("walk_level_1p3"), 3)  # at the 1 kHz truth rate
    codes = digitise(r)
    assert codes.rate_hz == 100 and codes.codes.dtype == np.int16
    assert codes.codes.shape == (math.ceil(r.n / 10), 8)
    g = np.linalg.norm(codes.codes[:, :3].astype(float), axis=1) / 1000
    g_true = np.linalg.norm(r.acc_mps2, axis=1) / G_MPS2
    strikes = r.events_of("heel_strike")["t_s"]
    walks = r.segments[r.segments["activity"] == "walk"]
    # each walk's last strike is its closing step, placed (half a shock) as the gait fades out
    closing = {strikes[strikes <= w["t_end_s"]].max() for w in walks}
    for t in strikes:
        if t in closing:
            continue
        i, j = int(t * 100), int(t * 1000)
        peak, true_peak = g[max(i - 6, 0) : i + 7].max(), g_true[max(j - 60, 0) : j + 60].max()
        assert peak > 1.35  # standing reads 1 g
        assert peak > 0.7 * true_peak  # the anti-alias filter smooths, but keeps, the impact


def test_the_replay_front_end_is_exact_rounding_of_physical_over_lsb():
    rng = np.random.default_rng(5)
    n = 5000
    fs = np.array(FULL_SCALE_CODE) * np.array(LSB_INPUT)
    x = (rng.uniform(-1.1, 1.1, (n, 8)) * fs).astype(np.float32)
    x[::97, 1] = np.nan
    x[:100, 6] = np.arange(100) * 0.05 - 2.5  # ties at half a code round to even
    r = stimulus(n, acc=x[:, :3], gyr=x[:, 3:6], strain=x[:, 6], temp=x[:, 7])
    codes = digitise(r, config=FrontEndConfig.ideal()).codes
    physical = np.concatenate([r.acc_mps2, r.gyr_dps, r.strain_ue[:, None], r.temp_c[:, None]], 1)
    full = np.array(FULL_SCALE_CODE)
    expected = np.clip(np.round(physical.astype(np.float64) / np.array(LSB_INPUT)), -full, full)
    expected[np.isnan(physical)] = NO_DATA
    assert np.array_equal(codes, expected.astype(np.int16))
