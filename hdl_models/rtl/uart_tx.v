// UART transmitter, 8N1, LSB first. One bit lasts CLKS_PER_BIT clocks (8 at the 921.6 kHz core
// clock gives 115200 baud exactly; see README.md).
//
// Byte interface (valid/ready): a byte is taken on a rising clk edge where i_valid && o_ready.
// o_ready is high when idle and also in the last clock of a stop bit, so bytes offered
// back-to-back leave with no idle gap (10 bits = 10 * CLKS_PER_BIT clocks per byte).
// o_txd idles high and is a register output (no glitches on the line).
`default_nettype none

module uart_tx #(
    parameter integer CLKS_PER_BIT = 8  // >= 2
) (
    input  wire       clk,
    input  wire       rst_n,
    input  wire       i_valid,
    input  wire [7:0] i_data,
    output wire       o_ready,
    output reg        o_txd
);
    localparam integer CW = $clog2(CLKS_PER_BIT);
    localparam integer LAST_I = CLKS_PER_BIT - 1;
    localparam [CW-1:0] LAST_CLK = LAST_I[CW-1:0];       // counter value in a bit's last clock
    localparam [3:0] STOP_BIT = 4'd9;  // bit 0 start, 1..8 data, 9 stop

    reg          busy;
    reg [CW-1:0] clk_cnt;
    reg [3:0]    bit_cnt;
    reg [7:0]    shift;   // data bits still to send, LSB next

    wire bit_end = busy && (clk_cnt == LAST_CLK);
    assign o_ready = !busy || (bit_end && bit_cnt == STOP_BIT);

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            busy    <= 1'b0;
            clk_cnt <= {CW{1'b0}};
            bit_cnt <= 4'd0;
            shift   <= 8'hFF;
            o_txd   <= 1'b1;
        end else if (i_valid && o_ready) begin  // start bit
            busy    <= 1'b1;
            clk_cnt <= {CW{1'b0}};
            bit_cnt <= 4'd0;
            shift   <= i_data;
            o_txd   <= 1'b0;
        end else if (bit_end) begin
            clk_cnt <= {CW{1'b0}};
            if (bit_cnt == STOP_BIT) begin
                busy <= 1'b0;
            end else begin      // next data bit; after bit 8 the shifted-in 1 is the stop bit
                o_txd   <= shift[0];
                shift   <= {1'b1, shift[7:1]};
                bit_cnt <= bit_cnt + 4'd1;
            end
        end else if (busy) begin
            clk_cnt <= clk_cnt + 1'b1;
        end
    end
endmodule

`default_nettype wire
