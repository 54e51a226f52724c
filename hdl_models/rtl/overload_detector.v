// overload_detector: the OVERLOAD_START / OVERLOAD_END events of the digital core
// (chip_sim/core/reference.py, run_epoch, "overload").
//
// Per sample i (counted from 0 at reset), load = i_load (0 when NO_DATA, -32768):
//   IDLE:   load > OVERLOAD_LIMIT: if count == 0 { start = i, first = load }; count += 1;
//                                  count == OVERLOAD_MIN_SAMPLES -> OVERLOAD_START (value first),
//                                  ACTIVE
//           else count = 0
//   ACTIVE: load < OVERLOAD_LIMIT - OVERLOAD_HYST -> OVERLOAD_END (value i - start), IDLE, count = 0
//
//   i_valid     one-clock sample strobe with i_load; every sample is decided in that clock (always
//               ready)
//   i_overload_*  the registers OVERLOAD_LIMIT, OVERLOAD_MIN_SAMPLES, OVERLOAD_HYST (32-bit signed),
//               held stable while samples are processed; the threshold is computed in 34 bits
//   o_event     one-clock pulse, the clock after the strobe of sample o_index, with o_code
//               (3 = OVERLOAD_START, 4 = OVERLOAD_END) and o_value; code, index and value hold until
//               the next event
`default_nettype none

module overload_detector (
    input  wire               clk,
    input  wire               rst_n,
    input  wire               i_valid,
    input  wire signed [15:0] i_load,
    input  wire signed [31:0] i_overload_limit,
    input  wire signed [31:0] i_overload_min_samples,
    input  wire signed [31:0] i_overload_hyst,
    output reg                o_event,
    output reg         [7:0]  o_code,
    output reg         [31:0] o_index,
    output reg  signed [31:0] o_value
);
    localparam [15:0] NO_DATA = 16'h8000;
    localparam [7:0] CODE_START = 8'h03, CODE_END = 8'h04;

    reg        active;
    reg [31:0] count;
    reg [31:0] idx;    // i, the index of the next sample
    reg [31:0] start;
    reg signed [15:0] first;

    wire signed [15:0] load = (i_load == NO_DATA) ? 16'sd0 : i_load;
    wire signed [33:0] load34 = {{18{load[15]}}, load};
    wire signed [33:0] limit34 = {{2{i_overload_limit[31]}}, i_overload_limit};
    wire signed [33:0] hyst34 = {{2{i_overload_hyst[31]}}, i_overload_hyst};
    wire signed [33:0] end_level = limit34 - hyst34;
    wire        above = load34 > limit34;
    wire        below = load34 < end_level;
    wire [31:0] count_next = count + 32'd1;
    wire        reached = count_next == i_overload_min_samples;

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            active  <= 1'b0;
            count   <= 32'd0;
            idx     <= 32'd0;
            start   <= 32'd0;
            first   <= 16'sd0;
            o_event <= 1'b0;
            o_code  <= 8'd0;
            o_index <= 32'd0;
            o_value <= 32'sd0;
        end else begin
            o_event <= 1'b0;
            if (i_valid) begin
                idx <= idx + 32'd1;
                if (active) begin
                    if (below) begin
                        o_event <= 1'b1;
                        o_code  <= CODE_END;
                        o_index <= idx;
                        o_value <= $signed(idx - start);
                        active  <= 1'b0;
                        count   <= 32'd0;
                    end
                end else if (above) begin
                    if (count == 32'd0) begin
                        start <= idx;
                        first <= load;
                    end
                    count <= count_next;
                    if (reached) begin
                        o_event <= 1'b1;
                        o_code  <= CODE_START;
                        o_index <= idx;
                        o_value <= (count == 32'd0) ? {{16{load[15]}}, load}
                                                    : {{16{first[15]}}, first};
                        active  <= 1'b1;
                    end
                end else begin
                    count <= 32'd0;
                end
            end
        end
    end
endmodule

`default_nettype wire
