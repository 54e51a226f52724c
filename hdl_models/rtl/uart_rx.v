// UART receiver, 8N1, LSB first; one bit lasts CLKS_PER_BIT clocks (see uart_tx.v, README.md).
//
// i_rxd is asynchronous: it passes a two-flop synchroniser first. A low level in IDLE starts a
// frame; the start bit is checked again at mid-bit (a shorter low pulse is a glitch: back to IDLE),
// then every bit is sampled at mid-bit. At the middle of the stop bit:
//   stop bit high: o_valid pulses for one clock with the byte on o_data (held until the next one);
//   stop bit low:  the byte is dropped, o_frame_err pulses for one clock and the receiver waits
//                  for the line to return high (a break or garbage) before hunting again.
// Every state leaves within one frame time or on the line going high, so no input locks it up.
`default_nettype none

module uart_rx #(
    parameter integer CLKS_PER_BIT = 8  // >= 2
) (
    input  wire       clk,
    input  wire       rst_n,
    input  wire       i_rxd,
    output reg        o_valid,
    output reg  [7:0] o_data,
    output reg        o_frame_err
);
    localparam integer CW = $clog2(CLKS_PER_BIT);
    localparam integer LAST_I = CLKS_PER_BIT - 1;
    localparam [CW-1:0] LAST_CLK = LAST_I[CW-1:0];       // counter value in a bit's last clock
    localparam integer HALF_I = CLKS_PER_BIT / 2 - 1;
    localparam [CW-1:0] HALF_CLK = HALF_I[CW-1:0];       // middle of the start bit

    localparam [2:0] S_IDLE  = 3'd0;
    localparam [2:0] S_START = 3'd1;
    localparam [2:0] S_DATA  = 3'd2;
    localparam [2:0] S_STOP  = 3'd3;
    localparam [2:0] S_BREAK = 3'd4;  // after a framing error: wait for the line to go high

    reg [1:0]    sync;    // sync[1] is the synchronised line
    reg [2:0]    state;
    reg [CW-1:0] clk_cnt;
    reg [2:0]    bit_cnt;
    reg [7:0]    shift;

    wire rxd = sync[1];
    wire tick = (clk_cnt == LAST_CLK);

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            sync        <= 2'b11;
            state       <= S_IDLE;
            clk_cnt     <= {CW{1'b0}};
            bit_cnt     <= 3'd0;
            shift       <= 8'h00;
            o_valid     <= 1'b0;
            o_data      <= 8'h00;
            o_frame_err <= 1'b0;
        end else begin
            sync        <= {sync[0], i_rxd};
            o_valid     <= 1'b0;
            o_frame_err <= 1'b0;
            clk_cnt     <= clk_cnt + 1'b1;
            case (state)
                S_IDLE: begin
                    clk_cnt <= {CW{1'b0}};
                    if (!rxd) state <= S_START;
                end
                S_START:
                    if (clk_cnt == HALF_CLK) begin  // middle of the start bit
                        clk_cnt <= {CW{1'b0}};
                        bit_cnt <= 3'd0;
                        state   <= rxd ? S_IDLE : S_DATA;
                    end
                S_DATA:
                    if (tick) begin
                        clk_cnt <= {CW{1'b0}};
                        shift   <= {rxd, shift[7:1]};
                        bit_cnt <= bit_cnt + 3'd1;
                        if (bit_cnt == 3'd7) state <= S_STOP;
                    end
                S_STOP:
                    if (tick) begin
                        clk_cnt <= {CW{1'b0}};
                        if (rxd) begin
                            o_valid <= 1'b1;
                            o_data  <= shift;
                            state   <= S_IDLE;
                        end else begin
                            o_frame_err <= 1'b1;
                            state       <= S_BREAK;
                        end
                    end
                S_BREAK: begin
                    clk_cnt <= {CW{1'b0}};
                    if (rxd) state <= S_IDLE;
                end
                default: state <= S_IDLE;  // unreachable codes recover too
            endcase
        end
    end
endmodule

`default_nettype wire
