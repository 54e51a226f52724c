// Test harness of host_rx (hdl_models/harness/test_host_rx.py). No timing constructs: cocotb drives
// clk. The receiver's line is uart_src AND line_ext: with line_ext high it hears cocotbext-uart's
// UartSource on uart_src; with uart_src idle the test drives any waveform (a bad stop bit) on
// line_ext.
`default_nettype none

module tb_host_rx #(
    parameter integer CLKS_PER_BIT = 8
) (
    input  wire        clk,
    input  wire        rst_n,
    input  wire        uart_src,
    input  wire        line_ext,
    output wire        o_frame,
    output wire [7:0]  o_type,
    output wire [7:0]  o_seq,
    output wire [7:0]  o_len,
    output wire [39:0] o_payload,
    output wire [15:0] o_crc_errors,
    output wire [15:0] o_bytes_dropped
);
    host_rx #(.CLKS_PER_BIT(CLKS_PER_BIT)) u_dut (
        .clk            (clk),
        .rst_n          (rst_n),
        .i_rxd          (uart_src & line_ext),
        .o_frame        (o_frame),
        .o_type         (o_type),
        .o_seq          (o_seq),
        .o_len          (o_len),
        .o_payload      (o_payload),
        .o_crc_errors   (o_crc_errors),
        .o_bytes_dropped(o_bytes_dropped)
    );
endmodule

`default_nettype wire
