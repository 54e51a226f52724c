// Test harness of host_rx (hdl_models/harness/test_host_rx.py). No timing constructs: cocotb drives
// clk. The receiver's line is uart_src AND line_ext: with line_ext high it hears cocotbext-uart's
// UartSource on uart_src; with uart_src idle the test drives any waveform (a bad stop bit) on
// line_ext. `hold` drives host_rx's i_hold. `o_full_payload` keeps every payload byte host_rx
// strobes, by index (byte k at [8k+7:8k]): at o_frame its first LEN bytes are that frame's payload.
`default_nettype none

module tb_host_rx #(
    parameter integer CLKS_PER_BIT = 8
) (
    input  wire        clk,
    input  wire        rst_n,
    input  wire        uart_src,
    input  wire        line_ext,
    input  wire        hold,
    output wire        o_frame,
    output wire [7:0]  o_type,
    output wire [7:0]  o_seq,
    output wire [7:0]  o_len,
    output wire [39:0] o_payload,
    output wire [15:0] o_crc_errors,
    output wire [15:0] o_bytes_dropped,
    output reg  [1999:0] o_full_payload
);
    wire        pl_valid, pl_two;
    wire [7:0]  pl_idx;
    wire [15:0] pl_data;

    initial o_full_payload = 2000'd0;
    always @(posedge clk) begin
        if (pl_valid) begin
            o_full_payload[8*pl_idx +: 8] <= pl_data[7:0];
            if (pl_two) o_full_payload[8*(pl_idx+8'd1) +: 8] <= pl_data[15:8];
        end
    end

    host_rx #(.CLKS_PER_BIT(CLKS_PER_BIT)) u_dut (
        .clk            (clk),
        .rst_n          (rst_n),
        .i_rxd          (uart_src & line_ext),
        .i_hold         (hold),
        .o_frame        (o_frame),
        .o_type         (o_type),
        .o_seq          (o_seq),
        .o_len          (o_len),
        .o_payload      (o_payload),
        .o_pl_valid     (pl_valid),
        .o_pl_two       (pl_two),
        .o_pl_idx       (pl_idx),
        .o_pl_data      (pl_data),
        .o_crc_errors   (o_crc_errors),
        .o_bytes_dropped(o_bytes_dropped)
    );
endmodule

`default_nettype wire
