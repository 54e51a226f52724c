// Test harness for the RTL units of hdl_models/rtl, one toplevel for all of them so each
// simulator builds once (Verilator's build is the slow part). No timing constructs: cocotb
// drives clk (hdl_models/harness/test_crc_uart.py), so Verilator needs no --timing.
//
//   crc_*    crc16 on its own
//   uart_*   uart_tx -> uart_rx loopback; the receiver's line is uart_txd AND uart_rx_ext, so with
//            uart_rx_ext high it hears the transmitter, and with the transmitter idle the test
//            drives any waveform (garbage, a bad stop bit) on uart_rx_ext
//   frame_*  frame_tx, its line on frame_txd
`default_nettype none

module tb_units #(
    parameter integer CLKS_PER_BIT = 8
) (
    input  wire        clk,
    input  wire        rst_n,
    // crc16
    input  wire        crc_init,
    input  wire        crc_valid,
    input  wire [7:0]  crc_data,
    output wire [15:0] crc_out,
    output wire [15:0] crc_next,
    // uart loopback
    input  wire        uart_tx_valid,
    input  wire [7:0]  uart_tx_data,
    output wire        uart_tx_ready,
    output wire        uart_txd,
    input  wire        uart_rx_ext,
    output wire        uart_rx_valid,
    output wire [7:0]  uart_rx_data,
    output wire        uart_rx_frame_err,
    // frame_tx
    input  wire        frame_start,
    input  wire [7:0]  frame_type,
    input  wire [7:0]  frame_seq,
    input  wire [7:0]  frame_len,
    output wire        frame_ready,
    output wire        frame_len_err,
    input  wire        frame_pl_valid,
    input  wire [7:0]  frame_pl_data,
    output wire        frame_pl_ready,
    output wire        frame_txd
);
    crc16 u_crc (
        .clk(clk), .rst_n(rst_n), .i_init(crc_init), .i_valid(crc_valid), .i_data(crc_data),
        .o_crc(crc_out), .o_next(crc_next)
    );

    uart_tx #(.CLKS_PER_BIT(CLKS_PER_BIT)) u_uart_tx (
        .clk(clk), .rst_n(rst_n), .i_valid(uart_tx_valid), .i_data(uart_tx_data),
        .o_ready(uart_tx_ready), .o_txd(uart_txd)
    );

    uart_rx #(.CLKS_PER_BIT(CLKS_PER_BIT)) u_uart_rx (
        .clk(clk), .rst_n(rst_n), .i_rxd(uart_txd & uart_rx_ext), .o_valid(uart_rx_valid),
        .o_data(uart_rx_data), .o_frame_err(uart_rx_frame_err)
    );

    frame_tx #(.CLKS_PER_BIT(CLKS_PER_BIT)) u_frame_tx (
        .clk(clk), .rst_n(rst_n), .i_start(frame_start), .i_type(frame_type), .i_seq(frame_seq),
        .i_len(frame_len), .o_ready(frame_ready), .o_len_err(frame_len_err),
        .i_pl_valid(frame_pl_valid), .i_pl_data(frame_pl_data), .o_pl_ready(frame_pl_ready),
        .o_txd(frame_txd)
    );
endmodule

`default_nettype wire
