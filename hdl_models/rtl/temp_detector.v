// temp_detector: the TEMP_HIGH event of the digital core (chip_sim/core/reference.py, run_epoch,
// "temperature").
//
// Per sample i (counted from 0 at reset), temp = i_temp (NO_DATA = -32768):
//   temp != NO_DATA and temp > TEMP_HIGH_LIMIT:
//       t_count += 1; if armed and t_count >= TEMP_MIN_SAMPLES -> TEMP_HIGH (value temp), armed = 0
//   else:
//       t_count = 0; if temp != NO_DATA and temp < TEMP_HIGH_LIMIT - TEMP_HYST: armed = 1
//   armed is 1 after reset. t_count saturates at 2^32 - 1 (the model's is unbounded; the register
//   TEMP_MIN_SAMPLES is at most 10^6).
//
//   i_valid     one-clock sample strobe with i_temp; every sample is decided in that clock (always
//               ready)
//   i_temp_*    the registers TEMP_HIGH_LIMIT, TEMP_HYST, TEMP_MIN_SAMPLES (32-bit signed; the
//               count compare treats TEMP_MIN_SAMPLES as unsigned, its legal range is 1..10^6),
//               held stable while samples are processed; the re-arm level is computed in 34 bits
//   o_event     one-clock pulse, the clock after the strobe of sample o_index, with o_code
//               (0x20 = TEMP_HIGH) and o_value (the temperature code); they hold until the next
//               event
`default_nettype none

module temp_detector (
    input  wire               clk,
    input  wire               rst_n,
    input  wire               i_valid,
    input  wire signed [15:0] i_temp,
    input  wire signed [31:0] i_temp_high_limit,
    input  wire signed [31:0] i_temp_hyst,
    input  wire signed [31:0] i_temp_min_samples,
    output reg                o_event,
    output reg         [7:0]  o_code,
    output reg         [31:0] o_index,
    output reg  signed [31:0] o_value
);
    localparam [15:0] NO_DATA = 16'h8000;
    localparam [7:0] CODE_TEMP_HIGH = 8'h20;

    reg        armed;
    reg [31:0] count;
    reg [31:0] idx;    // i, the index of the next sample

    wire        valid_temp = i_temp != NO_DATA;
    wire signed [33:0] temp34 = {{18{i_temp[15]}}, i_temp};
    wire signed [33:0] limit34 = {{2{i_temp_high_limit[31]}}, i_temp_high_limit};
    wire signed [33:0] hyst34 = {{2{i_temp_hyst[31]}}, i_temp_hyst};
    wire signed [33:0] rearm_level = limit34 - hyst34;
    wire        hot = valid_temp && temp34 > limit34;
    wire        cool = valid_temp && temp34 < rearm_level;
    wire [31:0] count_next = (count == 32'hFFFF_FFFF) ? count : count + 32'd1;
    wire        long_enough = count_next >= $unsigned(i_temp_min_samples);

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            armed   <= 1'b1;
            count   <= 32'd0;
            idx     <= 32'd0;
            o_event <= 1'b0;
            o_code  <= 8'd0;
            o_index <= 32'd0;
            o_value <= 32'sd0;
        end else begin
            o_event <= 1'b0;
            if (i_valid) begin
                idx <= idx + 32'd1;
                if (hot) begin
                    count <= count_next;
                    if (armed && long_enough) begin
                        o_event <= 1'b1;
                        o_code  <= CODE_TEMP_HIGH;
                        o_index <= idx;
                        o_value <= {{16{i_temp[15]}}, i_temp};
                        armed   <= 1'b0;
                    end
                end else begin
                    count <= 32'd0;
                    if (cool) armed <= 1'b1;
                end
            end
        end
    end
endmodule

`default_nettype wire
