"""The serial DUT backend against the board emulator; the emulate-board command."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bench.cli.main import main
from bench.duts.emulator import BoardEmulator
from bench.duts.protocol import Dut, DutGoneError, NackError
from bench.duts.serial_board import SerialDut, is_reset_event
from chip_sim.errors import ChipError
from chip_sim.icd import EventPayload, FrameDecoder, FrameType
from tests.bench.test_emulator import STREAM_TYPES, golden, walk

SPEED = 50.0
ROOT = Path(__file__).resolve().parents[2]


def board(transport: str = "socket", **kwargs) -> tuple[BoardEmulator, SerialDut]:
    run = walk()
    emu = BoardEmulator(
        "pty" if transport == "pty" else "socket://127.0.0.1:0",
        registers=run.registers,
        speed=SPEED,
    )
    emu.load_codes(run.codes.codes)
    if transport == "pty":
        dut = SerialDut(emu.url, name="board-under-test", speed=SPEED, **kwargs)
        emu.start()
    else:
        emu.start()
        dut = SerialDut(emu.url, name="board-under-test", speed=SPEED, **kwargs)
    assert dut.wait_for(is_reset_event(0), timeout_s=2) is not None
    return emu, dut


def stream(frames) -> list[tuple[int, bytes]]:
    return [(f.frame_type, f.payload) for f in frames if f.frame_type in STREAM_TYPES]


def test_register_access_and_nacks():
    emu, dut = board()
    try:
        assert isinstance(dut, Dut)
        assert dut.read_register("CHIP_ID") == 0x5C1E0001
        assert dut.read_register("ICD_VERSION") == 1
        dut.write_register("FALL_IMPACT_MG", 5000)
        assert dut.read_register("FALL_IMPACT_MG") == 5000
        with pytest.raises(NackError, match=r"board-under-test: .*NACK 5 \(VALUE_OUT_OF_RANGE\)"):
            dut.write_register("FALL_IMPACT_MG", 99)
        with pytest.raises(NackError) as info:
            dut.write_register("CHIP_ID", 3)
        assert info.value.reason == 4
        assert dut.read_register("FALL_IMPACT_MG") == 5000  # the refused write changed nothing
        with pytest.raises(ChipError, match="unknown register 'NOPE'"):
            dut.read_register("NOPE")
        assert dut.stats().crc_errors == 0 and dut.stats().seq_gaps == 0
    finally:
        dut.close()
        emu.close()


@pytest.mark.parametrize("transport", ["socket", "pty"])
def test_run_returns_every_frame_with_monotonic_timestamps(transport):
    run = walk()
    emu, dut = board(transport)
    try:
        dut.load_stimulus(run.codes.codes)  # tells run() how long the stimulus lasts
        rec = dut.run(timeout_s=10)
        assert rec.aborted is None
        expected = golden(run.codes.codes, run.registers)
        assert stream(f.frame for f in rec.frames) == stream(expected[1:])  # after power-on
        times = [f.t_host_s for f in rec.frames]
        assert times == sorted(times) and times[0] >= 0
        decoded = FrameDecoder().feed(rec.raw)
        assert decoded == [f.frame for f in rec.frames]
        assert rec.stats.frames_ok == len(rec.frames)
        assert rec.stats.crc_errors == rec.stats.seq_gaps == rec.stats.reconnects == 0
        # the answers to START and STOP are in the reception too
        assert [f.frame.frame_type for f in rec.frames].count(FrameType.ACK) == 2
    finally:
        dut.close()
        emu.close()


def test_reset_waits_for_the_reset_event():
    emu, dut = board()
    try:
        dut.write_register("FALL_STILL_MG", 222)
        dut.start()
        time.sleep(0.1)
        dut.reset()
        last = dut.received[-1].frame
        assert last.frame_type == FrameType.EVENT and last.seq == 0
        assert EventPayload.decode(last.payload).value == 2
        assert dut.read_register("SAMPLE_INDEX") == 0
        assert dut.read_register("FALL_STILL_MG") == 222
    finally:
        dut.close()
        emu.close()


def test_a_silent_dut_is_gone_after_the_retries():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    held: list[socket.socket] = []
    threading.Thread(target=lambda: held.append(server.accept()[0]), daemon=True).start()
    dut = SerialDut(f"socket://127.0.0.1:{server.getsockname()[1]}", name="mute", timeout_s=0.2)
    try:
        t0 = time.monotonic()
        with pytest.raises(DutGoneError, match=r"^mute: REG_READ CHIP_ID: no answer in 3 tries"):
            dut.read_register("CHIP_ID")
        assert time.monotonic() - t0 >= 0.6
    finally:
        dut.close()
        for s in held:
            s.close()
        server.close()


def test_cannot_open_names_the_dut():
    with pytest.raises(DutGoneError, match=r"^nowhere: cannot open /dev/nonexistent-tty"):
        SerialDut("/dev/nonexistent-tty", name="nowhere")


def test_emulator_closed_mid_run_keeps_what_arrived():
    run = walk()
    emu, dut = board(reconnect_s=0.3)
    try:
        closer = threading.Timer(0.3, emu.close)
        closer.start()
        rec = dut.run(duration_s=run.codes.n / 100 / SPEED, timeout_s=10)
        closer.join()
        assert rec.aborted is not None and rec.aborted.startswith("aborted:")
        assert "reconnecting failed" in rec.aborted
        kept = stream(f.frame for f in rec.frames)
        sent = stream(s.frame for s in emu.sent)
        assert len(kept) >= 5
        assert kept == sent[1 : 1 + len(kept)]  # everything before the end, in order
    finally:
        dut.close()
        emu.close()


def test_pty_closed_mid_run_aborts():
    run = walk()
    emu, dut = board("pty")
    try:
        threading.Timer(0.3, emu.close).start()
        rec = dut.run(duration_s=run.codes.n / 100 / SPEED, timeout_s=10)
        assert rec.aborted.startswith("aborted: link to /dev/")
        assert len(stream(f.frame for f in rec.frames)) >= 5
    finally:
        dut.close()


def test_no_bytes_for_three_status_periods_aborts():
    """A board that is connected but stays silent after START (here: a stimulus of one STATUS
    period and a run that expects far more) ends the run with the reason."""
    emu = BoardEmulator(speed=10).start()
    run = walk()
    emu.load_codes(run.codes.codes[:150])
    dut = SerialDut(emu.url, name="quiet", speed=10)
    try:
        rec = dut.run(duration_s=5, timeout_s=10)
        assert rec.aborted.startswith("aborted: no bytes for")
        assert "3 STATUS periods" in rec.aborted
        assert any(f.frame.frame_type == FrameType.STATUS for f in rec.frames)
    finally:
        dut.close()
        emu.close()


def test_a_stalled_host_is_not_a_silent_board():
    """The whole test process (host and the emulator in it) frozen twice for 1 s mid-run — what
    a loaded 2-core machine does to a real-time test — is not mistaken for a board that fell
    silent: the watch restarts when the reader runs again, and the run completes."""
    run = walk()  # 30 s at 5×: 6 s of stimulus, frozen twice for 1 s
    emu = BoardEmulator(speed=5).start()
    emu.load_codes(run.codes.codes)
    dut = SerialDut(emu.url, name="stalled-host", speed=5)
    stopper = (
        "import os, signal, sys, time\n"
        "pid = int(sys.argv[1])\n"
        "for _ in range(2):\n"
        "    time.sleep(0.4); os.kill(pid, signal.SIGSTOP); time.sleep(1.0)\n"
        "    os.kill(pid, signal.SIGCONT)\n"
    )
    try:
        assert dut.wait_for(is_reset_event(0), timeout_s=2) is not None
        helper = subprocess.Popen([sys.executable, "-c", stopper, str(os.getpid())])
        rec = dut.run(duration_s=run.codes.n / 100 / 5, timeout_s=30)
        helper.wait(timeout=10)
        assert rec.aborted is None, rec.aborted
        assert len(stream(f.frame for f in rec.frames)) > 20
    finally:
        dut.close()
        emu.close()


def exit_code(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:  # argparse's own usage errors
        return int(exc.code)


def _cli(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bench.cli.main", "emulate-board", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


@pytest.mark.parametrize("where", ["socket", "pty"])
def test_emulate_board_command_serves_a_serial_dut_until_sigterm(where):
    listen = ["--listen", "socket://127.0.0.1:0"] if where == "socket" else ["--pty"]
    proc = _cli(*listen, "--scenario", "walk_level_1p3", "--speed", "20")
    try:
        url = proc.stdout.readline().strip()
        prefix = "socket://127.0.0.1:" if where == "socket" else "/dev/"
        assert url.startswith(prefix), proc.stderr.read()
        with SerialDut(url, name="cli-board") as dut:
            first = dut.wait_for(lambda f: True, timeout_s=2)
            assert first is not None and is_reset_event(0)(first.frame)
            assert dut.read_register("CHIP_ID") == 0x5C1E0001
            # the scenario's registers are the power-on values (walk_level_1p3: tibia preset)
            assert dut.read_register("OVERLOAD_LIMIT") == walk().registers["OVERLOAD_LIMIT"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
        err = proc.stderr.read()
        assert "Traceback" not in err and "emulator stopped" in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--listen", "socket://127.0.0.1:0", "--scenario", "no_such"], "no_such"),
        (["--listen", "http://127.0.0.1:80", "--scenario", "walk_level_1p3"], "--listen"),
        (["--listen", "socket://127.0.0.1", "--scenario", "walk_level_1p3"], "--listen"),
        (
            ["--listen", "socket://127.0.0.1:0", "--scenario", "walk_level_1p3", "--speed", "0"],
            "--speed",
        ),
        (["--scenario", "walk_level_1p3"], "--listen"),
    ],
)
def test_bad_cli_input_is_one_line_and_exit_2(args, message, capsys):
    assert exit_code(["emulate-board", *args]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert message in err and "Traceback" not in err


def test_listen_on_a_port_in_use_is_a_usage_error(capsys):
    with BoardEmulator() as emu:
        code = exit_code(["emulate-board", "--listen", emu.url, "--scenario", "walk_level_1p3"])
    err = capsys.readouterr().err
    assert code == 2 and "cannot listen there" in err and len(err.strip().splitlines()) == 1


def test_a_timeout_before_the_stimulus_ends_is_an_abort_with_the_frames_kept():
    emu, dut = board()
    try:
        rec = dut.run(duration_s=5.0, timeout_s=0.3)
        assert rec.aborted.startswith("aborted: timeout after 0.3 s")
        assert any(f.frame.frame_type == FrameType.STATUS for f in rec.frames)
    finally:
        dut.close()
        emu.close()
