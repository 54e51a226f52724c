"""DUT backends behind one protocol (``bench.duts.protocol.Dut``): the golden model in-process,
the RTL through cocotb, and a serial board (or the board emulator) through pyserial."""
