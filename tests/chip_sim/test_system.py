"""System model (issue 7): latency per hop, buffer horizon and overflow accounting, brown-outs
and their feedback into the golden model, determinism, the daily trend's content. The
notification requirements themselves are verified in bench/verification/suite/test_system.py."""

from __future__ import annotations

import numpy as np
import pytest

from chip_sim.errors import ChipError
from chip_sim.system import EnergyConfig, LinkConfig, ScheduleConfig, SystemConfig, run_system
from chip_sim.system.ledger import DELIVERED

ALWAYS_PRESENT = ScheduleConfig(night_absent_h=None)
BATTERY = EnergyConfig(source="battery")


def test_every_hop_is_non_negative_and_end_to_end_covers_each_hop():
    r = run_system("daily_living_morning", 1)
    led = r.ledger
    ok = led.fate == DELIVERED
    assert ok.sum() > 10
    dec, ph, cl, no = led.t_decided[ok], led.t_phone[ok], led.t_cloud[ok], led.t_notify[ok]
    e2e = np.where(np.isnan(no), cl, no) - dec
    notify = no - cl  # NaN where no one is notified: compared only where present
    for hop in (ph - dec, cl - ph, notify[~np.isnan(notify)]):
        assert np.all(hop >= 0)
    assert np.all(e2e >= ph - dec) and np.all(e2e >= cl - ph)
    assert np.all(e2e >= np.nan_to_num(notify))
    for kind in set(led.records["kind"][ok]):
        for hop, v in r.hop_latencies_s(str(kind)).items():
            assert np.all(v >= 0), (kind, hop)


def test_no_record_lost_through_a_three_hour_reader_absence_within_the_buffer():
    sched = ScheduleConfig(night_absent_h=None, absences_s=((3600.0, 3 * 3600.0),))
    r = run_system(
        "daily_living_morning", 2, days=0.25, config=SystemConfig(energy=BATTERY, schedule=sched)
    )
    assert r.decided > 30
    assert r.lost == 0 and r.pending == 0
    assert r.decided == r.delivered
    assert 5 < r.ledger.max_occupancy < r.config.buffer_events  # the absence filled it, partly


def test_overflow_is_counted_exactly_when_the_absence_outlasts_the_buffer():
    start_s, end_s, capacity = 600.0, 5400.0, 5
    sched = ScheduleConfig(night_absent_h=None, absences_s=((start_s, end_s - start_s),))
    cfg = SystemConfig(energy=BATTERY, schedule=sched, buffer_events=capacity)
    r = run_system("daily_living_morning", 1, config=cfg)
    led = r.ledger
    t = led.t_decided[led.decided]
    assert not np.any((t > start_s - 5) & (t < start_s))  # the buffer is empty when it leaves
    during = int(np.sum((t >= start_s) & (t < end_s)))
    assert during > capacity
    assert r.lost == during - capacity
    assert sum(led.lost_by_kind.values()) == r.lost
    assert r.decided == r.delivered + r.lost  # events decided = delivered + lost


def test_harvesting_browns_out_while_the_reader_is_away_and_the_battery_does_not():
    sched = ScheduleConfig(night_absent_h=None, absences_s=((1800.0, 3600.0),))
    harvest = run_system("daily_living_morning", 1, config=SystemConfig(schedule=sched))
    battery = run_system(
        "daily_living_morning", 1, config=SystemConfig(schedule=sched, energy=BATTERY)
    )
    assert harvest.brownouts >= 1 and harvest.off_s > 600
    off = harvest.voltage_trace
    assert off[:, 1].min() == pytest.approx(harvest.config.energy.v_brownout)
    assert battery.brownouts == 0 and battery.off_s == 0
    assert battery.battery_life_days is not None and battery.battery_life_days > 30
    assert harvest.lost == 0 and battery.lost == 0


def test_a_brown_out_mid_frame_loses_the_frame_not_the_record():
    sched = ScheduleConfig(night_absent_h=None, absences_s=((600.0, 1800.0),))
    # On the battery the buffer fills during the absence (harvesting, the chip would be off).
    first = run_system(
        "daily_living_morning", 1, config=SystemConfig(schedule=sched, energy=BATTERY)
    )
    back_s = next(a for a, _ in first.connected_s if a >= 2400.0)  # first frame goes on air here
    assert first.ledger.frames_lost_in_flight == 0
    faulted = SystemConfig(
        energy=BATTERY,
        schedule=ScheduleConfig(
            night_absent_h=None,
            absences_s=((600.0, 1800.0),),
            brownouts_s=((back_s + 0.0005, 0.01),),  # half-way through the 1 ms frame
        ),
    )
    r = run_system("daily_living_morning", 1, config=faulted)
    assert r.ledger.frames_lost_in_flight == 1 and r.forced_brownouts == 1
    assert r.lost == 0 and r.decided == r.delivered == first.delivered + 1  # + its RESET


def test_the_scenario_brown_out_faults_reach_the_system_and_its_reset_records_are_delivered():
    r = run_system("system_faults", 1, config=SystemConfig(schedule=ALWAYS_PRESENT))
    assert r.forced_brownouts == 2 and r.unpowered == 0
    assert int(np.sum(r.ledger.records["kind"] == "RESET")) == 3  # power-on + 2 restarts
    assert r.decided == r.delivered


def test_a_seed_reproduces_the_run_and_another_changes_it():
    a = run_system("overload_partial_weight_bearing", 3)
    b = run_system("overload_partial_weight_bearing", 3)
    c = run_system("overload_partial_weight_bearing", 4)
    assert a.latency_table() == b.latency_table() and a.energy_table() == b.energy_table()
    np.testing.assert_array_equal(a.ledger.t_notify, b.ledger.t_notify)
    assert a.seed == 3 and "seed 3" in a.latency_table()
    assert a.latency_table() != c.latency_table()


def test_digest_mode_gives_the_clinician_the_healing_trend_every_day():
    r = run_system("healing_normal", 1)
    days = r.workload.duration_s / 86400
    assert days == 112  # 16 weeks
    got = {d: (trend, t) for d, trend, t in r.clinician_days}
    assert sorted(got) == list(range(112))
    for d, (trend, t) in got.items():
        assert 0 < trend <= 1
        assert (d + 1) * 86400 <= t <= (d + 2) * 86400  # within the next day
    assert got[111][0] < 0.5  # healed by week 16
    assert r.lost == 0 and r.brownouts >= 100  # nights without the reader


def test_bad_configuration_is_refused_with_the_value_and_range():
    with pytest.raises(ChipError, match="energy source 'solar'"):
        EnergyConfig(source="solar")
    with pytest.raises(ChipError, match="buffer_events = 0"):
        SystemConfig(buffer_events=0)
    with pytest.raises(ChipError, match="days = -1"):
        run_system("daily_living_morning", 1, days=-1)


def _records(r, kind: str) -> np.ndarray:
    return r.ledger.records[r.ledger.records["kind"] == kind]


def test_a_brown_out_mid_bout_restarts_the_golden_model_and_splits_the_bout():
    plain = run_system("daily_living_morning", 1, config=SystemConfig(energy=BATTERY))
    bouts = _records(plain, "BOUT")
    bout = bouts[np.argmax(bouts["value"])]  # the longest bout: steps before and after the cut
    off_s, length_s = bout["t_s"] - 0.5 * bout["value"] / 1.7, 5.0
    cut = SystemConfig(
        energy=BATTERY,
        schedule=ScheduleConfig(night_absent_h=None, brownouts_s=((off_s, length_s),)),
    )
    r = run_system("daily_living_morning", 1, config=cut)
    assert r.feedback_passes == 2 and r.feedback_residual_s == 0.0
    assert np.allclose(r.supply_off_s, [(off_s, off_s + length_s)])
    resets = _records(r, "RESET")
    assert list(resets["value"]) == [0, 1]  # power-on, then the restart after the brown-out
    assert resets["t_s"][1] == pytest.approx(off_s + length_s, abs=0.02)
    # Nothing is decided while off, and the chip did not invent the lost steps afterwards.
    t = r.ledger.records["t_s"]
    assert not np.any((t > off_s) & (t < off_s + length_s - 0.02))
    assert r.unpowered == 0
    after = _records(r, "BOUT")
    same_end = after[np.abs(after["t_s"] - bout["t_s"]) < 0.05]
    assert len(same_end) <= 1 and (len(same_end) == 0 or same_end["value"][0] < bout["value"])
    assert r.decided == r.delivered


def test_model_caused_brown_outs_each_end_in_a_delivered_reset_record():
    sched = ScheduleConfig(night_absent_h=None, absences_s=((1800.0, 3600.0),))
    r = run_system("daily_living_morning", 1, config=SystemConfig(schedule=sched))
    assert r.brownouts == 1 and r.forced_brownouts == 0
    assert r.feedback_passes == 2 and r.feedback_residual_s == 0.0
    resets = _records(r, "RESET")
    assert list(resets["value"]) == [0, 1]
    ((_, off_b),) = r.supply_off_s
    assert resets["t_s"][1] == pytest.approx(off_b, abs=0.02)
    assert r.unpowered == 0 and r.decided == r.delivered


def test_a_fall_while_the_phone_is_offline_reaches_the_carer_once_it_is_back():
    online = run_system("fall_forward", 1)
    fall = int(np.flatnonzero(online.ledger.records["kind"] == "FALL")[0])
    t_fall = online.ledger.t_decided[fall]
    sched = ScheduleConfig(offline_s=((t_fall - 5.0, 300.0),), offline_per_day=0.0)
    r = run_system("fall_forward", 1, config=SystemConfig(schedule=sched))
    led = r.ledger
    assert led.t_phone[fall] - led.t_decided[fall] < 1.0  # the link does not care
    assert led.t_cloud[fall] >= t_fall - 5.0 + 300.0  # uploaded once the phone is back
    assert led.t_notify[fall] > led.t_cloud[fall] and led.recipient[fall] == "carer"
    assert r.decided == r.delivered and r.lost == 0


def test_loss_bursts_cost_retransmissions_and_time_never_records():
    clean = LinkConfig(good_loss=0.0, bad_loss=0.0)
    bursty = LinkConfig(good_loss=0.2, bad_loss=0.95, good_mean_s=5.0, bad_mean_s=3.0)
    lat = {}
    for name, link in (("clean", clean), ("bursty", bursty)):
        r = run_system(
            "daily_living_morning",
            1,
            config=SystemConfig(energy=BATTERY, schedule=ALWAYS_PRESENT, link=link),
        )
        assert r.decided == r.delivered and r.lost == 0
        lat[name] = (r.ledger.retransmissions, r.hop_latencies_s("BOUT")["chip→phone"])
    retx, clean_s = lat["clean"]
    assert retx == 0
    # Without loss a record waits at most one connection interval, its air time and the app.
    app_max_s = 0.02 * np.exp(0.5 * 5)  # 5 sigma of the app's lognormal
    assert clean_s.max() <= clean.connection_interval_s + 0.001 + app_max_s
    retx, bursty_s = lat["bursty"]
    assert retx > 5 and bursty_s.max() > clean_s.max()


def test_clock_drift_moves_the_decision_in_true_time_and_the_phone_timestamp():
    exact = run_system(
        "daily_living_morning", 1, config=SystemConfig(implant_drift_ppm=0.0, phone_drift_ppm=0.0)
    )
    assert np.all(exact.ledger.ts_error_s[exact.ledger.fate == DELIVERED] == 0.0)
    cfg = SystemConfig(implant_drift_ppm=200.0, phone_drift_ppm=-100.0)
    r = run_system("daily_living_morning", 1, config=cfg)
    rec, led = r.ledger.records, r.ledger
    np.testing.assert_allclose(rec["t_s"], rec["chip_s"] / (1 + 200e-6))
    ok = led.fate == DELIVERED
    since_sync = led.t_decided[ok] - led.sync_s[ok]
    np.testing.assert_allclose(led.ts_error_s[ok], since_sync * 300e-6)
    assert np.abs(led.ts_error_s[ok]).max() > 0.1  # an hour-long connection: 0.1 s and more


def test_the_energy_ledger_adds_up():
    r = run_system("daily_living_morning", 1, config=SystemConfig(energy=BATTERY))
    p, motion = r.config.power, r.workload.motion_s
    assert r.brownouts == 0
    moving_s = float(np.sum(motion[:, 1] - motion[:, 0]))
    assert r.charge_c["sampling"] == pytest.approx(p.sampling_ua * 1e-6 * moving_s, rel=1e-9)
    assert r.charge_c["sleep"] == pytest.approx(p.sleep_ua * 1e-6 * r.duration_s, rel=1e-9)
    assert r.charge_c["processing"] == pytest.approx(
        p.processing_ua * 1e-6 * p.processing_s * r.decided, rel=1e-6
    )
    assert r.mean_current_ua == pytest.approx(sum(r.charge_c.values()) / r.duration_s * 1e6)
    mah = r.config.energy.battery_mah
    assert r.battery_life_days == pytest.approx(mah * 3.6 / (r.mean_current_ua * 1e-6) / 86400)


def test_the_record_rule_keeps_qualified_bouts_and_every_non_gait_event():
    from chip_sim.icd import EventCode
    from chip_sim.system.workload import FILTERED, record_of

    assert record_of(EventCode.WALK_END, 7, min_steps=7) == ("BOUT", "")
    assert record_of(EventCode.WALK_END, 6, min_steps=7) == (None, FILTERED[1])
    assert record_of(EventCode.STEP, 3, min_steps=7) == (None, FILTERED[0])
    assert record_of(EventCode.WALK_START, 4, min_steps=7) == (None, FILTERED[2])
    for code in (EventCode.FALL, EventCode.OVERLOAD_START, EventCode.TEMP_HIGH, EventCode.RESET):
        assert record_of(code, 0, min_steps=7) == (code.name, "")
    assert record_of(0xEE, 0, min_steps=7) == (None, "unknown event code 238")
