"""Every listener the bench opens binds loopback unless the user names another address (issue
15): the board emulator (default and the ``emulated`` DUT), the SCPI instrument twins, the link
proxy. Checked on the sockets the kernel holds in LISTEN state for this process (``/proc``), not
on the URLs the objects print. The bench starts no Dask scheduler of its own (``campaign
--scheduler`` connects to the user's)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import numpy as np
import pytest

from bench.duts.emulator import BoardEmulator
from bench.duts.factory import open_dut
from bench.duts.link_proxy import LinkProxy
from bench.instruments.sim import AwgTwin, CounterTwin, DmmTwin, SupplyTwin

pytestmark = pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc")


def listening() -> set[tuple[str, int]]:
    """(IPv4 address, port) of every TCP socket of this process in LISTEN state."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state, inode = fields[1], fields[3], fields[9]
        if state == "0A" and inode in inodes:  # 0A = TCP_LISTEN
            hex_ip, hex_port = local.split(":")
            ip = socket.inet_ntoa(bytes.fromhex(hex_ip)[::-1])
            found.add((ip, int(hex_port, 16)))
    return found


def opened_by(action) -> set[tuple[str, int]]:
    before = listening()
    action()
    return listening() - before


def assert_all_on(ip: str, new: set[tuple[str, int]]) -> None:
    assert new and all(address == ip for address, _ in new), new


def test_the_board_emulator_binds_loopback_by_default_and_where_the_user_says():
    holders: list = []
    new = opened_by(lambda: holders.append(BoardEmulator().start()))
    try:
        assert_all_on("127.0.0.1", new)
    finally:
        holders[0].close()
    new = opened_by(lambda: holders.append(BoardEmulator("socket://0.0.0.0:0").start()))
    try:
        assert_all_on("0.0.0.0", new)  # named by the user
    finally:
        holders[-1].close()


def test_the_emulated_dut_and_the_link_proxy_bind_loopback():
    holders: list = []
    new = opened_by(lambda: holders.append(open_dut("emulated")))
    try:
        assert_all_on("127.0.0.1", new)
        port = int(holders[0].url.rsplit(":", 1)[1])
        rng = np.random.default_rng(0)
        new = opened_by(lambda: holders.append(LinkProxy("127.0.0.1", port, rng=rng)))
        assert_all_on("127.0.0.1", new)
    finally:
        for h in reversed(holders):
            h.close()


@pytest.mark.parametrize("twin", [SupplyTwin, DmmTwin, AwgTwin, CounterTwin])
def test_instrument_twins_bind_loopback(twin):
    servers: list = []
    new = opened_by(lambda: servers.append(twin().start()))
    try:
        assert_all_on("127.0.0.1", new)
    finally:
        servers[0].stop()
