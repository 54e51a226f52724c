// step_detector: the STEP events of the digital core (chip_sim/core/reference.py, run_epoch).
//
// Per sample i (counted from 0 at reset):
//   mag  = isqrt(ax² + ay² + az²) in mg, or 1000 when an axis is NO_DATA (-32768)
//   r[i] = mag[i] - 2·mag[i-1] + mag[i-2]            (0 for i < 2)
//   STEP at i when i >= 2 and
//        r[i-1] >= max(STEP_SHARP_MIN_MG, peak_avg >>> STEP_ADAPT_SHIFT)
//    and r[i-1] >= r[i-2] and r[i-1] > r[i]
//    and (no previous step, or (i-1) - last_peak >= STEP_REFRACTORY_SAMPLES);
//   then step_count += 1, peak_avg += (r[i-1] - peak_avg) >>> 2, last_peak = i - 1.
//
//   i_valid       one-clock sample strobe with i_ax/i_ay/i_az; taken only while o_ready is high
//   o_ready       idle: the previous sample is decided. A sample takes 19 clocks (square sum and
//                 isqrt start, 16 isqrt iterations, magnitude, decision), mag = 1000 takes 2
//   i_step_*      the registers STEP_SHARP_MIN_MG, STEP_ADAPT_SHIFT, STEP_REFRACTORY_SAMPLES
//                 (unsigned), held stable while samples are processed
//   o_step        one-clock pulse when sample o_step_index is a STEP; o_step_count is the number
//                 of steps since reset including this one (the event's value); both hold until
//                 the next step
//   o_mag         |a| in mg of the last decided sample (1000 when an axis was NO_DATA), valid
//                 once o_ready is high again after the sample's strobe (the fall detector's input)
`default_nettype none

module step_detector (
    input  wire               clk,
    input  wire               rst_n,
    input  wire               i_valid,
    input  wire signed [15:0] i_ax,
    input  wire signed [15:0] i_ay,
    input  wire signed [15:0] i_az,
    input  wire        [31:0] i_step_sharp_min_mg,
    input  wire        [31:0] i_step_adapt_shift,
    input  wire        [31:0] i_step_refractory_samples,
    output wire               o_ready,
    output reg                o_step,
    output reg         [31:0] o_step_index,
    output reg         [31:0] o_step_count,
    output wire        [15:0] o_mag
);
    localparam [15:0] NO_DATA = 16'h8000;
    localparam [15:0] MAG_NO_DATA_MG = 16'd1000;
    localparam [1:0] S_IDLE = 2'd0, S_SQRT = 2'd1, S_DECIDE = 2'd2;

    reg [1:0] state;
    assign o_ready = state == S_IDLE;

    // --- magnitude ------------------------------------------------------------------------------
    wire signed [31:0] ax2 = i_ax * i_ax;  // each <= 2^30 - 2^16 + 1 (NO_DATA never squared)
    wire signed [31:0] ay2 = i_ay * i_ay;
    wire signed [31:0] az2 = i_az * i_az;
    wire        [31:0] sum_sq = $unsigned(ax2) + $unsigned(ay2) + $unsigned(az2);  // < 3·2^30
    wire no_data = (i_ax == NO_DATA) || (i_ay == NO_DATA) || (i_az == NO_DATA);

    wire        sqrt_start = (state == S_IDLE) && i_valid && !no_data;
    wire        sqrt_done;
    wire [15:0] sqrt_root;
    // o_busy is not needed: the FSM waits in S_SQRT for o_done
    /* verilator lint_off PINCONNECTEMPTY */
    isqrt32 u_isqrt (
        .clk    (clk),
        .rst_n  (rst_n),
        .i_start(sqrt_start),
        .i_x    (sum_sq),
        .o_busy (),
        .o_done (sqrt_done),
        .o_root (sqrt_root)
    );
    /* verilator lint_on PINCONNECTEMPTY */

    // --- history and step state (34-bit signed: exact for every 32-bit register value) -----------
    reg  [15:0] mag;       // mag[i] once in S_DECIDE
    reg  [15:0] mag1;      // mag[i-1]
    reg  [15:0] mag2;      // mag[i-2]
    reg  signed [33:0] r1;        // r[i-1]
    reg  signed [33:0] r2;        // r[i-2]
    reg  signed [33:0] peak_avg;
    reg  [31:0] idx;       // i, the sample being decided
    assign o_mag = mag1;   // after S_DECIDE, mag1 holds the decided sample's magnitude
    reg  [31:0] last_peak;
    reg         have_peak;

    wire        past_two = idx >= 32'd2;
    wire signed [33:0] r_now = past_two
        ? $signed({18'd0, mag}) - $signed({17'd0, mag1, 1'b0}) + $signed({18'd0, mag2})
        : 34'sd0;
    wire signed [33:0] adapt = peak_avg >>> i_step_adapt_shift;
    wire signed [33:0] sharp_min = $signed({2'b00, i_step_sharp_min_mg});
    wire signed [33:0] threshold = adapt > sharp_min ? adapt : sharp_min;
    wire        is_peak = past_two && r1 >= threshold && r1 >= r2 && r1 > r_now;
    wire [31:0] since_peak = idx - 32'd1 - last_peak;
    wire        refractory_ok = !have_peak || since_peak >= i_step_refractory_samples;
    wire        step = is_peak && refractory_ok;
    wire signed [33:0] peak_delta = r1 - peak_avg;

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            state        <= S_IDLE;
            mag          <= 16'd0;
            mag1         <= 16'd0;
            mag2         <= 16'd0;
            r1           <= 34'sd0;
            r2           <= 34'sd0;
            peak_avg     <= 34'sd0;
            idx          <= 32'd0;
            last_peak    <= 32'd0;
            have_peak    <= 1'b0;
            o_step       <= 1'b0;
            o_step_index <= 32'd0;
            o_step_count <= 32'd0;
        end else begin
            o_step <= 1'b0;
            case (state)
                S_IDLE: if (i_valid) begin
                    if (no_data) begin
                        mag   <= MAG_NO_DATA_MG;
                        state <= S_DECIDE;
                    end else begin
                        state <= S_SQRT;
                    end
                end
                S_SQRT: if (sqrt_done) begin
                    mag   <= sqrt_root;
                    state <= S_DECIDE;
                end
                default: begin  // S_DECIDE
                    if (step) begin
                        o_step       <= 1'b1;
                        o_step_index <= idx;
                        o_step_count <= o_step_count + 32'd1;
                        peak_avg     <= peak_avg + (peak_delta >>> 2);
                        last_peak    <= idx - 32'd1;
                        have_peak    <= 1'b1;
                    end
                    mag2  <= mag1;
                    mag1  <= mag;
                    r2    <= r1;
                    r1    <= r_now;
                    idx   <= idx + 32'd1;
                    state <= S_IDLE;
                end
            endcase
        end
    end
endmodule

`default_nettype wire
