"""The digital core, sample by sample: the executable specification.

Written as the RTL computes it — integer arithmetic, one sample at a time, explicit state — and
kept deliberately plain. ``chip_sim.core.vectorised`` must produce exactly the same events.

Per sample (index i since the last reset) the core computes:
- ``mag`` = isqrt(ax² + ay² + az²) in mg (1000 when an axis has no data);
- steps: the sharpness r = mag[i] − 2·mag[i−1] + mag[i−2] (second difference: large for a
  heel-strike shock, near zero for the smooth accelerations of swing and stance); a local maximum
  of r at i−1 (r[i−1] ≥ r[i−2] and r[i−1] > r[i]) that reaches the threshold
  max(STEP_SHARP_MIN_MG, peak_avg >> STEP_ADAPT_SHIFT) and lies at least STEP_REFRACTORY_SAMPLES
  after the previous step's peak is a STEP, decided at i. peak_avg += (r − peak_avg) >> 2 on
  each step;
  with STEP_MODE 1 (and its gyro channel enabled) steps come from the sagittal angular rate w
  instead (the STEP_GYRO_AXIS channel, negated for axes 3–5; no data reads as 0): a sample with
  w ≤ −10·STEP_SWING_MIN_DPS arms (a swing); the next sample with w ≥ 10·STEP_HS_LEVEL_DPS is the
  instrumented leg's heel strike h, its STEP decided STEP_GYRO_DELAY_SAMPLES later (the latency
  of a shock's sharpness peak, so both legs' STEPs lag their heel strikes alike; no arming until
  then). The other leg's heel strike is expected half a stride after h (half the samples since
  the previous heel strike when that is at most STEP_MAX_STRIDE_SAMPLES, else
  STEP_HALF_STRIDE_SAMPLES): its window runs from that time minus STEP_CONTRA_SLACK_SAMPLES (at
  least STEP_REFRACTORY_SAMPLES and more than the delay after h) to that time plus the slack. In
  it, while the sum of w over the samples since h is at least 10·STEP_STANCE_MIN (the leg rotated
  over its planted foot), the other leg's STEP is the first sharpness peak as above (it updates
  peak_avg), or else the window's last sample. A new heel strike closes the window;
  with STEP_MODE 2 (trunk) the rules of mode 0 apply to x instead of r: two running means of
  |a| with 4 fraction bits, f += ((mag << 4) − f) >> STEP_TRUNK_FAST_SHIFT and
  s += ((mag << 4) − s) >> STEP_TRUNK_SLOW_SHIFT (both 1000 << 4 at reset, updated on every
  sample), x = (f − s) >> 4 in mg: |a| band-passed, whose peak is the trunk's loading bump;
- walking bouts from the steps: WALK_START at the step that completes WALK_START_STEPS steps
  with gaps ≤ WALK_MAX_GAP_SAMPLES; WALK_END when the gap since the last step exceeds it;
- falls: every impact (valid, mag ≥ FALL_IMPACT_MG, and the reference window inside the epoch)
  (re)arms the detector: impact = i; the upright reference is the acceleration summed over
  FALL_REF_SAMPLES ending FALL_REF_DELAY_SAMPLES before it; the turn rate is the largest w =
  max(|gx|, |gy|, |gz|) (codes, no data reads 0) over the FALL_RATE_SAMPLES ending at it or, like
  the peak (the largest mag), at any impact since the detector armed. A later impact re-arms it,
  so a step taken just before a fall cannot swallow the fall's own impact. For FALL_SETTLE_SAMPLES
  after the impact the peak is tracked; after that, a sample within FALL_STILL_MG of 1 g counts
  (its acceleration summed), any other restarts the count. When FALL_STILL_SAMPLES samples have
  counted, the fall is decided: gravity turned away from the reference (dot < limit as before) and
  the turn rate ≥ 10·FALL_RATE_DPS (no rate condition while every gyro channel is disabled) → FALL
  at this sample, value = peak mg; either way the detector disarms. It also disarms when
  FALL_SETTLE + FALL_WAIT + FALL_STILL samples have passed without the count completing;
- overload: load > OVERLOAD_LIMIT for OVERLOAD_MIN_SAMPLES → OVERLOAD_START (value = the load
  code where the run began); load < OVERLOAD_LIMIT − OVERLOAD_HYST → OVERLOAD_END (value =
  samples since the run began);
- temperature: temp > TEMP_HIGH_LIMIT for TEMP_MIN_SAMPLES → TEMP_HIGH (value = temp code);
  re-armed below TEMP_HIGH_LIMIT − TEMP_HYST;
- faults per enabled channel: full scale for FAULT_SAT_SAMPLES, one repeated code for
  FAULT_STUCK_SAMPLES (channels in FAULT_STUCK_MASK), no data for FAULT_DROPOUT_SAMPLES;
- a STATUS record after every STATUS_PERIOD_SAMPLES-th sample.
"""

from __future__ import annotations

from itertools import count
from math import isqrt

import numpy as np

from chip_sim.core.config import CoreConfig
from chip_sim.icd import CHANNELS, NO_DATA_CODE, EventCode

FULL_SCALE = [c.full_scale_code for c in CHANNELS]


def run_epoch(codes: np.ndarray, cfg: CoreConfig, *, offset: int, reset_reason: int):
    """Process one epoch (from a reset to the next) of codes; return (events, status) lists with
    stream indices ``offset + i``."""
    core = EpochCore(cfg, offset=offset, reset_reason=reset_reason)
    for row in codes.tolist():
        core.step(row)
    return core.events, core.status


class EpochCore:
    """The same core, resumable: one sample at a time, for a chip whose samples arrive one by one
    (the board emulator's host-port replay). ``events`` and ``status`` grow as samples are taken;
    ``samples`` counts them."""

    def __init__(self, cfg: CoreConfig, *, offset: int, reset_reason: int) -> None:
        self.events: list[tuple[int, int, int, int]] = [
            (offset, 0, int(EventCode.RESET), reset_reason)
        ]
        self.status: list[tuple[int, int, int, int, int]] = []
        self.samples = 0
        self._core = _epoch(cfg, offset, self.events, self.status)
        next(self._core)

    def step(self, row) -> None:
        """Take one sample (eight ICD codes)."""
        self._core.send(row)
        self.samples += 1


def _epoch(cfg: CoreConfig, offset: int, ev: list, status: list):
    """The core's state between samples is this generator's: each ``send(row)`` is one sample."""
    enabled = [(cfg.channel_enable >> ch) & 1 == 1 for ch in range(8)]

    def emit(i: int, code: int, value: int) -> None:
        ev.append((offset + i, i, int(code), int(value)))

    mags: list[int] = []
    r_hist: list[int] = []
    ax_valid: list[bool] = []
    acc_hist: list[tuple[int, int, int]] = []
    rate_hist: list[int] = []
    # step / walk state
    step_count = 0
    peak_avg = 0
    last_peak = None
    run_steps = 0
    bout_active = False
    bout_steps = 0
    last_step = None
    # angular-rate steps
    gyro = cfg.gyro_steps
    g_ch, g_neg = cfg.gyro_channel, cfg.gyro_negate
    swing_level = -10 * cfg.step_swing_min_dps
    hs_level = 10 * cfg.step_hs_level_dps
    stance_level = 10 * cfg.step_stance_min
    armed = False
    last_hs = None
    pending_at = None  # the last sample of the other leg's window
    window_from = 0  # its first sample
    hs_due = None  # the sample the instrumented leg's STEP is decided
    stance_sum = 0
    # trunk steps: the two running means of |a|, 4 fraction bits
    trunk = cfg.trunk_steps
    ema_fast = ema_slow = 1000 << 4
    # fall state
    fall_armed = False
    impact_i = 0
    fall_peak = 0
    ref = (0, 0, 0)
    post = [0, 0, 0]
    still_run = 0
    rate_at = 0
    rate_level = cfg.fall_rate_level
    # overload / temperature state
    ov_count = 0
    ov_active = False
    ov_start = 0
    ov_first = 0
    t_count = 0
    t_armed = True
    # fault state per channel: run counters and active flags
    sat_run = [0] * 8
    stuck_run = [0] * 8
    drop_run = [0] * 8
    prev_code = [None] * 8
    sat_on = [False] * 8
    stuck_on = [False] * 8
    drop_on = [False] * 8

    for i in count():
        row = yield
        row = [c if enabled[ch] else NO_DATA_CODE for ch, c in enumerate(row)]
        ax, ay, az = row[0], row[1], row[2]
        valid = NO_DATA_CODE not in (ax, ay, az)
        mag = isqrt(ax * ax + ay * ay + az * az) if valid else 1000
        mags.append(mag)
        ax_valid.append(valid)
        acc_hist.append((ax, ay, az) if valid else (0, 0, 0))
        rate_hist.append(max(0 if c == NO_DATA_CODE else abs(c) for c in row[3:6]))

        # --- faults ---------------------------------------------------------------------------
        for ch in range(8):
            if not enabled[ch]:
                continue
            c = row[ch]
            if c == NO_DATA_CODE:
                drop_run[ch] += 1
                sat_run[ch] = 0
                stuck_run[ch] = 0
            else:
                drop_run[ch] = 0
                full = abs(c) >= FULL_SCALE[ch]
                sat_run[ch] = sat_run[ch] + 1 if full else 0
                # A code held at full scale is saturation, not a stuck sensor.
                stuck_run[ch] = 0 if full else (stuck_run[ch] + 1 if c == prev_code[ch] else 1)
            prev_code[ch] = c
            if sat_run[ch] == cfg.fault_sat:
                emit(i, EventCode.FAULT_SATURATION, ch)
            if (cfg.fault_stuck_mask >> ch) & 1 and stuck_run[ch] == cfg.fault_stuck:
                emit(i, EventCode.FAULT_STUCK, ch)
            if drop_run[ch] == cfg.fault_dropout:
                emit(i, EventCode.FAULT_DROPOUT, ch)
            sat_on[ch] = sat_run[ch] >= cfg.fault_sat
            stuck_on[ch] = (
                bool((cfg.fault_stuck_mask >> ch) & 1) and stuck_run[ch] >= cfg.fault_stuck
            )
            drop_on[ch] = drop_run[ch] >= cfg.fault_dropout

        # --- walking-bout timeout, then steps ---------------------------------------------------
        if bout_active and i - last_step == cfg.walk_max_gap + 1:
            emit(i, EventCode.WALK_END, bout_steps)
            bout_active = False
        step_now = False
        if trunk:
            ema_fast += ((mag << 4) - ema_fast) >> cfg.step_trunk_fast
            ema_slow += ((mag << 4) - ema_slow) >> cfg.step_trunk_slow
            r = (ema_fast - ema_slow) >> 4
        else:
            r = mag - 2 * mags[i - 1] + mags[i - 2] if i >= 2 else 0
        r_hist.append(r)
        is_peak, rp = False, 0
        if i >= 2:
            rp, rpp = r_hist[i - 1], r_hist[i - 2]
            threshold = max(cfg.step_sharp_min_mg, peak_avg >> cfg.step_adapt_shift)
            is_peak = rp >= threshold and rp >= rpp and rp > r
        if gyro:
            w = row[g_ch]
            w = 0 if w == NO_DATA_CODE else (-w if g_neg else w)
            stance_sum += w
            if armed and w >= hs_level:
                armed = False
                stride = None if last_hs is None else i - last_hs
                measured = stride is not None and stride <= cfg.step_max_stride
                half = stride >> 1 if measured else cfg.step_half_stride
                last_hs = i
                pending_at, stance_sum = i + half + cfg.step_contra_slack, 0
                window_from = i + max(
                    cfg.step_refractory, cfg.step_gyro_delay + 1, half - cfg.step_contra_slack
                )
                hs_due = i + cfg.step_gyro_delay
            elif pending_at is not None:
                rotated = stance_sum >= stance_level
                if i >= window_from and is_peak and rotated:
                    peak_avg += (rp - peak_avg) >> 2  # the other leg's shock, as it reaches us
                    pending_at, step_now = None, True
                elif pending_at == i:
                    pending_at, step_now = None, rotated
            if hs_due == i:
                hs_due, step_now = None, True
            if w <= swing_level and hs_due is None:
                armed = True
        elif is_peak and (last_peak is None or (i - 1) - last_peak >= cfg.step_refractory):
            peak_avg += (rp - peak_avg) >> 2
            last_peak = i - 1
            step_now = True
        if step_now:
            step_count += 1
            emit(i, EventCode.STEP, step_count)
            if last_step is None or i - last_step > cfg.walk_max_gap:
                run_steps = 1
            else:
                run_steps += 1
            last_step = i
            if bout_active:
                bout_steps += 1
            elif run_steps >= cfg.walk_start_steps:
                bout_active = True
                bout_steps = run_steps
                emit(i, EventCode.WALK_START, 0)

        # --- falls ------------------------------------------------------------------------------
        lo = i - cfg.fall_ref_delay - cfg.fall_ref_samples + 1
        if mag >= cfg.fall_impact_mg and valid and lo >= 0:
            was_armed = fall_armed
            fall_peak = max(fall_peak, mag) if fall_armed else mag
            fall_armed = True
            impact_i = i
            window = acc_hist[lo : i - cfg.fall_ref_delay + 1]
            ref = (
                sum(a[0] for a in window),
                sum(a[1] for a in window),
                sum(a[2] for a in window),
            )
            # held over the episode, like the peak: a fall's later contacts (a hand, then the
            # hip; a bounce) re-arm the detector after the segment has stopped turning
            rate_now = max(rate_hist[max(0, i - cfg.fall_rate_samples + 1) : i + 1])
            rate_at = max(rate_at, rate_now) if was_armed else rate_now
            post = [0, 0, 0]
            still_run = 0
        elif fall_armed:
            since = i - impact_i
            if since <= cfg.fall_settle:
                fall_peak = max(fall_peak, mag)
            else:
                if valid and abs(mag - 1000) <= cfg.fall_still_mg:
                    still_run += 1
                    post[0] += ax
                    post[1] += ay
                    post[2] += az
                else:
                    still_run = 0
                    post = [0, 0, 0]
                if still_run == cfg.fall_still:
                    dot = ref[0] * post[0] + ref[1] * post[1] + ref[2] * post[2]
                    if dot < cfg.fall_turn_limit and rate_at >= rate_level:
                        emit(i, EventCode.FALL, fall_peak)
                    fall_armed = False
                elif since == cfg.fall_settle + cfg.fall_wait + cfg.fall_still:
                    fall_armed = False

        # --- overload ---------------------------------------------------------------------------
        load = row[6] if row[6] != NO_DATA_CODE else 0
        if ov_active:
            if load < cfg.overload_limit - cfg.overload_hyst:
                emit(i, EventCode.OVERLOAD_END, i - ov_start)
                ov_active = False
                ov_count = 0
        elif load > cfg.overload_limit:
            if ov_count == 0:
                ov_start = i
                ov_first = load
            ov_count += 1
            if ov_count == cfg.overload_min:
                emit(i, EventCode.OVERLOAD_START, ov_first)
                ov_active = True
        else:
            ov_count = 0

        # --- temperature ------------------------------------------------------------------------
        temp = row[7]
        if temp != NO_DATA_CODE and temp > cfg.temp_high_limit:
            t_count += 1
            if t_armed and t_count >= cfg.temp_min:
                emit(i, EventCode.TEMP_HIGH, temp)
                t_armed = False
        else:
            t_count = 0
            if temp != NO_DATA_CODE and temp < cfg.temp_high_limit - cfg.temp_hyst:
                t_armed = True

        # --- status -----------------------------------------------------------------------------
        if (i + 1) % cfg.status_period == 0:
            flags = 0
            for ch in range(8):
                if sat_on[ch] or stuck_on[ch] or drop_on[ch]:
                    flags |= 1 << ch
            status.append((offset + i, i, step_count, flags, 0))
