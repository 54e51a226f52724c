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
// With STEP_MODE 1 and the STEP_GYRO_AXIS channel enabled, steps come from the sagittal rate
// w (that channel, negated for axes 3-5, 0 for NO_DATA) and the sharpness above; |a| is still
// computed (o_mag). Per sample, in this order:
//   stance_sum += w;
//   if armed and w >= 10·HS_LEVEL: a heel strike h = i: armed = 0, the other leg's window runs
//        from h + max(REFRACTORY, DELAY + 1, half - SLACK) to h + half + SLACK, with
//        half = stride >> 1 (stride = h - last_hs <= MAX_STRIDE) else HALF_STRIDE; stance_sum = 0;
//        the instrumented leg's STEP is due at h + DELAY;
//   else if the window is open: a sharpness peak (as above) in it with stance_sum >= 10·STANCE_MIN
//        is the other leg's STEP (peak_avg updated, window closed); else at its last sample the
//        window closes, a STEP when stance_sum >= 10·STANCE_MIN;
//   the due STEP is decided at its sample;
//   then armed |= w <= -10·SWING_MIN, unless a STEP is still due.
// With STEP_MODE 2 (trunk) the rules of mode 0 apply to x instead of r (from i = 0 on, the
// local maximum still needs i >= 2): two running means of |a| with 4 fraction bits,
//   f += ((mag << 4) - f) >>> STEP_TRUNK_FAST_SHIFT,  s += ((mag << 4) - s) >>> STEP_TRUNK_SLOW_SHIFT
// (both 1000 << 4 at reset, updated on every sample while in mode 2), x = (f - s) >>> 4 in mg.
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
    input  wire signed [15:0] i_gx,
    input  wire signed [15:0] i_gy,
    input  wire signed [15:0] i_gz,
    input  wire        [2:0]  i_gyro_enable,  // CHANNEL_ENABLE bits of GYR_X..GYR_Z
    input  wire        [31:0] i_step_mode,
    input  wire        [31:0] i_step_gyro_axis,
    input  wire        [31:0] i_step_swing_min_dps,
    input  wire        [31:0] i_step_hs_level_dps,
    input  wire        [31:0] i_step_stance_min,
    input  wire        [31:0] i_step_half_stride_samples,
    input  wire        [31:0] i_step_max_stride_samples,
    input  wire        [31:0] i_step_contra_slack_samples,
    input  wire        [31:0] i_step_gyro_delay_samples,
    input  wire        [31:0] i_step_trunk_fast_shift,
    input  wire        [31:0] i_step_trunk_slow_shift,
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
    wire signed [33:0] sharp_now = past_two
        ? $signed({18'd0, mag}) - $signed({17'd0, mag1, 1'b0}) + $signed({18'd0, mag2})
        : 34'sd0;

    // --- trunk steps (STEP_MODE 2): |a| band-passed as the difference of two running means ------
    // mag << 4 < 2^20, so both means and their distances to it fit 22 bits signed
    localparam signed [21:0] EMA_RESET = 22'sd16000;  // 1000 mg << 4
    wire        trunk_mode = i_step_mode == 32'd2;
    reg  signed [21:0] ema_fast;
    reg  signed [21:0] ema_slow;
    wire signed [21:0] mag16 = $signed({2'b00, mag, 4'b0000});
    wire signed [21:0] fast_step = (mag16 - ema_fast) >>> i_step_trunk_fast_shift;
    wire signed [21:0] slow_step = (mag16 - ema_slow) >>> i_step_trunk_slow_shift;
    wire signed [21:0] fast_now = ema_fast + fast_step;
    wire signed [21:0] slow_now = ema_slow + slow_step;
    wire signed [21:0] band = (fast_now - slow_now) >>> 4;
    wire signed [33:0] r_now = trunk_mode ? {{12{band[21]}}, band} : sharp_now;
    wire signed [33:0] adapt = peak_avg >>> i_step_adapt_shift;
    wire signed [33:0] sharp_min = $signed({2'b00, i_step_sharp_min_mg});
    wire signed [33:0] threshold = adapt > sharp_min ? adapt : sharp_min;
    wire        is_peak = past_two && r1 >= threshold && r1 >= r2 && r1 > r_now;
    wire [31:0] since_peak = idx - 32'd1 - last_peak;
    wire        refractory_ok = !have_peak || since_peak >= i_step_refractory_samples;
    wire        step = is_peak && refractory_ok;
    wire signed [33:0] peak_delta = r1 - peak_avg;

    // --- angular-rate steps (STEP_MODE 1); 40-bit signed: exact for every register value ---------
    wire        axis_neg = i_step_gyro_axis >= 32'd3;
    wire [1:0]  axis_sel = axis_neg ? i_step_gyro_axis[1:0] - 2'd3 : i_step_gyro_axis[1:0];
    wire        gyro_mode = i_step_mode == 32'd1 && i_gyro_enable[axis_sel];
    wire signed [15:0] g_raw = axis_sel == 2'd0 ? i_gx : axis_sel == 2'd1 ? i_gy : i_gz;
    wire signed [39:0] g_ext = g_raw == $signed(NO_DATA) ? 40'sd0 : {{24{g_raw[15]}}, g_raw};
    wire signed [39:0] w = axis_neg ? -g_ext : g_ext;
    function automatic signed [39:0] times10(input [31:0] x);
        times10 = $signed({8'd0, x}) * 40'sd10;
    endfunction
    wire signed [39:0] swing_level = -times10(i_step_swing_min_dps);
    wire signed [39:0] hs_level = times10(i_step_hs_level_dps);
    wire signed [39:0] stance_level = times10(i_step_stance_min);
    reg         armed;
    reg         have_hs;
    reg  [31:0] last_hs;
    reg         pending;       // the other leg's window is open
    reg  [31:0] pending_at;    // its last sample
    reg  [31:0] window_from;   // its first sample
    reg         hs_pending;    // the instrumented leg's STEP is not decided yet
    reg  [31:0] hs_due;        // the sample it is decided
    reg  signed [39:0] stance_sum;
    wire signed [39:0] stance_now = stance_sum + w;
    wire [31:0] stride = idx - last_hs;
    wire [31:0] half = have_hs && stride <= i_step_max_stride_samples
        ? {1'b0, stride[31:1]} : i_step_half_stride_samples;
    // window start offset: max(REFRACTORY, DELAY + 1, half - SLACK), signed (half - SLACK < 0)
    wire signed [34:0] early = $signed({3'd0, half}) - $signed({3'd0, i_step_contra_slack_samples});
    wire signed [34:0] refr  = $signed({3'd0, i_step_refractory_samples});
    wire signed [34:0] after = $signed({3'd0, i_step_gyro_delay_samples}) + 35'sd1;
    wire signed [34:0] m1 = refr > after ? refr : after;
    // from_off lies in 1 .. 2^31 (a register value): its bits above 31 are always zero
    /* verilator lint_off UNUSEDSIGNAL */
    wire signed [34:0] from_off = early > m1 ? early : m1;
    /* verilator lint_on UNUSEDSIGNAL */
    wire        heel_strike = armed && w >= hs_level;
    wire        rotated = stance_now >= stance_level;
    wire        in_window = pending && !heel_strike;
    wire        acc_other = in_window && idx >= window_from && is_peak && rotated;
    wire        close_other = in_window && !acc_other && pending_at == idx;
    wire        due_now = heel_strike ? i_step_gyro_delay_samples == 32'd0
                                      : hs_pending && hs_due == idx;
    wire        due_later = heel_strike ? i_step_gyro_delay_samples != 32'd0
                                        : hs_pending && hs_due != idx;
    wire        gyro_step = due_now || acc_other || (close_other && rotated);
    wire        any_step = gyro_mode ? gyro_step : step;

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
            armed        <= 1'b0;
            have_hs      <= 1'b0;
            last_hs      <= 32'd0;
            pending      <= 1'b0;
            pending_at   <= 32'd0;
            window_from  <= 32'd0;
            hs_pending   <= 1'b0;
            hs_due       <= 32'd0;
            stance_sum   <= 40'sd0;
            ema_fast     <= EMA_RESET;
            ema_slow     <= EMA_RESET;
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
                    if (any_step) begin
                        o_step       <= 1'b1;
                        o_step_index <= idx;
                        o_step_count <= o_step_count + 32'd1;
                    end
                    if (!gyro_mode && step) begin
                        peak_avg     <= peak_avg + (peak_delta >>> 2);
                        last_peak    <= idx - 32'd1;
                        have_peak    <= 1'b1;
                    end
                    if (gyro_mode) begin
                        if (heel_strike) begin
                            armed       <= 1'b0;
                            have_hs     <= 1'b1;
                            last_hs     <= idx;
                            pending     <= 1'b1;
                            pending_at  <= idx + half + i_step_contra_slack_samples;
                            window_from <= idx + from_off[31:0];
                            hs_due      <= idx + i_step_gyro_delay_samples;
                            stance_sum  <= 40'sd0;
                        end else begin
                            if (acc_other || close_other) pending <= 1'b0;
                            stance_sum <= stance_now;
                        end
                        if (acc_other) peak_avg <= peak_avg + (peak_delta >>> 2);
                        hs_pending <= due_later;
                        if (w <= swing_level && !due_later) armed <= 1'b1;
                    end
                    if (trunk_mode) begin
                        ema_fast <= fast_now;
                        ema_slow <= slow_now;
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
