// fall_detector: the FALL events of the digital core (chip_sim/core/reference.py, run_epoch,
// "falls").
//
// Per sample i (counted from 0 at reset); valid = no axis is NO_DATA (16'h8000); a = (ax, ay, az)
// when valid, else (0, 0, 0), and w = max(|gx|, |gy|, |gz|) (an axis with NO_DATA reads 0) are
// kept in a ring buffer of the last 1024 samples:
//   impact: mag >= FALL_IMPACT_MG and valid and lo >= 0 (lo = i - FALL_REF_DELAY_SAMPLES -
//           FALL_REF_SAMPLES + 1), armed or not:
//             peak = armed ? max(peak, mag) : mag; armed, impact = i,
//             ref = sum of a[lo .. i - FALL_REF_DELAY_SAMPLES],
//             rate = max(armed ? rate : 0, w[max(0, i - FALL_RATE_SAMPLES + 1) .. i]),
//             post = (0, 0, 0), run = 0
//   else armed: since = i - impact
//             since <= FALL_SETTLE_SAMPLES:                      peak = max(peak, mag)
//             else: still = valid and |mag - 1000| <= FALL_STILL_MG
//                   still: run += 1, post += a;   else: run = 0, post = (0, 0, 0)
//                   run == FALL_STILL_SAMPLES:
//                       dot = ref . post
//                       limit = FALL_MAX_COS_PERMILLE * FALL_REF_SAMPLES * FALL_STILL_SAMPLES * 1000
//                       dot < limit and rate >= level -> FALL (value peak); disarm
//                   else since == FALL_SETTLE + FALL_WAIT + FALL_STILL_SAMPLES: disarm
//   level = 10 * FALL_RATE_DPS, or 0 while i_gyro_on is low (every gyro channel disabled).
//
// The reference and the rate are taken only at an impact, reading their windows out of the ring
// buffer one sample per clock (FALL_REF_SAMPLES + the rate window + 2 clocks with o_ready low), so
// they are exact for the registers of that moment. dot and limit are 64-bit signed: exact within
// the register ranges of chip_sim/spec/registers.yaml (FALL_REF_DELAY_SAMPLES <= 400,
// FALL_REF_SAMPLES <= 128 so the window lies within the last 528 samples; FALL_RATE_SAMPLES <=
// 128; FALL_STILL_SAMPLES <= 1000; FALL_MAX_COS_PERMILLE -1000..1000).
//
//   i_valid     one-clock sample strobe with i_ax/i_ay/i_az, i_gx/i_gy/i_gz and i_mag; taken only
//               while o_ready is high
//   i_mag       isqrt(ax² + ay² + az²) in mg, or 1000 when an axis is NO_DATA (computed outside,
//               e.g. step_detector's o_mag)
//   i_impact_mg, i_settle_samples, i_still_samples, i_still_mg, i_max_cos_permille,
//   i_ref_delay_samples, i_ref_samples, i_wait_samples, i_rate_dps, i_rate_samples
//               the FALL_* registers (FALL_MAX_COS_PERMILLE signed, the others unsigned)
//   i_gyro_on   any gyro channel enabled in CHANNEL_ENABLE
//   o_ready     idle; after a strobe the sample is decided (o_fall, o_peak_mg valid) when o_ready is
//               high again: the clock after the strobe, or after the window reads at an impact
//   o_fall      this sample is a FALL; set when decided, cleared by the next strobe
//   o_peak_mg   the FALL's value (peak magnitude in mg), valid with o_fall
`default_nettype none

module fall_detector (
    input  wire               clk,
    input  wire               rst_n,
    input  wire               i_valid,
    input  wire signed [15:0] i_ax,
    input  wire signed [15:0] i_ay,
    input  wire signed [15:0] i_az,
    input  wire signed [15:0] i_gx,
    input  wire signed [15:0] i_gy,
    input  wire signed [15:0] i_gz,
    input  wire        [15:0] i_mag,
    input  wire        [31:0] i_impact_mg,
    input  wire        [31:0] i_settle_samples,
    input  wire        [31:0] i_still_samples,
    input  wire        [31:0] i_still_mg,
    input  wire signed [31:0] i_max_cos_permille,
    input  wire        [31:0] i_ref_delay_samples,
    input  wire        [31:0] i_ref_samples,
    input  wire        [31:0] i_wait_samples,
    input  wire        [31:0] i_rate_dps,
    input  wire        [31:0] i_rate_samples,
    input  wire               i_gyro_on,
    output wire               o_ready,
    output reg                o_fall,
    output reg         [15:0] o_peak_mg
);
    localparam [15:0] NO_DATA = 16'h8000;
    localparam [1:0] S_IDLE = 2'd0, S_REF = 2'd1, S_RATE = 2'd2;

    reg [1:0] state;
    assign o_ready = state == S_IDLE;

    // --- state ---------------------------------------------------------------------------------
    reg         [31:0] idx;       // i, the index of the next sample
    reg                armed;
    reg         [31:0] impact;
    reg         [15:0] peak;
    reg  signed [31:0] ref_x, ref_y, ref_z;
    reg  signed [31:0] post_x, post_y, post_z;
    reg         [31:0] still_run;
    reg         [15:0] rate;      // the largest w of the rate window
    reg         [31:0] left;      // window samples still to be read
    reg                rd_pending; // rd_data holds a window sample to take
    reg         [31:0] rate_len;  // the rate window's length, kept for S_RATE

    // --- history: 1024 samples of {w, ax, ay, az}, written at each strobe, read synchronously --
    reg  [63:0] ring [0:1023];
    reg  [9:0]  rd_addr;
    reg  [63:0] rd_data;
    wire        no_data = (i_ax == NO_DATA) || (i_ay == NO_DATA) || (i_az == NO_DATA);
    wire        take = (state == S_IDLE) && i_valid;

    // w: the largest angular-rate magnitude of any axis (|-32767| fits 15 bits; NO_DATA is 0)
    wire [15:0] abs_gx = (i_gx == NO_DATA) ? 16'd0 : (i_gx[15] ? -i_gx : i_gx);
    wire [15:0] abs_gy = (i_gy == NO_DATA) ? 16'd0 : (i_gy[15] ? -i_gy : i_gy);
    wire [15:0] abs_gz = (i_gz == NO_DATA) ? 16'd0 : (i_gz[15] ? -i_gz : i_gz);
    wire [15:0] w_xy = (abs_gx > abs_gy) ? abs_gx : abs_gy;
    wire [15:0] w_now = (w_xy > abs_gz) ? w_xy : abs_gz;

    always @(posedge clk) begin
        if (take) ring[idx[9:0]] <= {w_now, no_data ? 48'd0 : {i_ax, i_ay, i_az}};
        rd_data <= ring[rd_addr];
    end

    // arming: lo >= 0  <=>  i + 1 >= delay + ref (34-bit, no wrap)
    wire [33:0] i_plus_1 = {2'b00, idx} + 34'd1;
    wire [33:0] window_end = {2'b00, i_ref_delay_samples} + {2'b00, i_ref_samples};
    wire        lo_ok = i_plus_1 >= window_end;
    wire [9:0]  lo_addr = idx[9:0] + 10'd1 - i_ref_delay_samples[9:0] - i_ref_samples[9:0];
    wire        impact_now = ({16'd0, i_mag} >= i_impact_mg) && !no_data && lo_ok;
    // the rate window: min(FALL_RATE_SAMPLES, i + 1) samples ending at i
    wire [31:0] rate_n = (i_plus_1 < {2'b00, i_rate_samples}) ? i_plus_1[31:0] : i_rate_samples;

    // armed
    wire [31:0] since = idx - impact;
    wire        settling = since <= i_settle_samples;
    wire signed [17:0] dev = $signed({2'b00, i_mag}) - 18'sd1000;
    wire        [17:0] dev_abs = dev[17] ? -dev : dev;
    wire        still = !no_data && ({14'd0, dev_abs} <= i_still_mg);
    wire signed [31:0] px = post_x + {{16{i_ax[15]}}, i_ax};
    wire signed [31:0] py = post_y + {{16{i_ay[15]}}, i_ay};
    wire signed [31:0] pz = post_z + {{16{i_az[15]}}, i_az};
    wire        decide = still && ({1'b0, still_run} + 33'd1 == {1'b0, i_still_samples});
    wire        give_up = {2'b00, since}
                        == {2'b00, i_settle_samples} + {2'b00, i_wait_samples}
                           + {2'b00, i_still_samples};
    wire signed [63:0] dot = {{32{ref_x[31]}}, ref_x} * {{32{px[31]}}, px}
                           + {{32{ref_y[31]}}, ref_y} * {{32{py[31]}}, py}
                           + {{32{ref_z[31]}}, ref_z} * {{32{pz[31]}}, pz};
    wire signed [63:0] limit = {{32{i_max_cos_permille[31]}}, i_max_cos_permille}
                             * $signed({32'd0, i_ref_samples})
                             * $signed({32'd0, i_still_samples})
                             * 64'sd1000;
    wire        [35:0] level = i_gyro_on ? {4'd0, i_rate_dps} * 36'd10 : 36'd0;
    wire        turned_fast = dot < limit && {20'd0, rate} >= level;

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            state      <= S_IDLE;
            rd_addr    <= 10'd0;
            idx        <= 32'd0;
            armed      <= 1'b0;
            impact     <= 32'd0;
            peak       <= 16'd0;
            ref_x      <= 32'sd0;
            ref_y      <= 32'sd0;
            ref_z      <= 32'sd0;
            post_x     <= 32'sd0;
            post_y     <= 32'sd0;
            post_z     <= 32'sd0;
            still_run  <= 32'd0;
            rate       <= 16'd0;
            left       <= 32'd0;
            rd_pending <= 1'b0;
            rate_len   <= 32'd0;
            o_fall     <= 1'b0;
            o_peak_mg  <= 16'd0;
        end else if (state == S_IDLE) begin
            if (i_valid) begin
                o_fall <= 1'b0;
                idx    <= idx + 32'd1;
                if (impact_now) begin
                    if (!armed || i_mag > peak) peak <= i_mag;
                    armed      <= 1'b1;
                    impact     <= idx;
                    post_x     <= 32'sd0;
                    post_y     <= 32'sd0;
                    post_z     <= 32'sd0;
                    still_run  <= 32'd0;
                    ref_x      <= 32'sd0;
                    ref_y      <= 32'sd0;
                    ref_z      <= 32'sd0;
                    // held over the episode, like the peak: a fall's later contacts (a hand,
                    // then the hip) re-arm after the segment has stopped turning
                    if (!armed) rate <= 16'd0;
                    rd_addr    <= lo_addr;
                    left       <= i_ref_samples;
                    rate_len   <= rate_n;
                    rd_pending <= 1'b0;
                    state      <= S_REF;
                end else if (armed) begin
                    if (settling) begin
                        if (i_mag > peak) peak <= i_mag;
                    end else begin
                        if (still) begin
                            still_run <= still_run + 32'd1;
                            post_x    <= px;
                            post_y    <= py;
                            post_z    <= pz;
                        end else begin
                            still_run <= 32'd0;
                            post_x    <= 32'sd0;
                            post_y    <= 32'sd0;
                            post_z    <= 32'sd0;
                        end
                        if (decide) begin
                            if (turned_fast) begin
                                o_fall    <= 1'b1;
                                o_peak_mg <= peak;
                            end
                            armed <= 1'b0;
                        end else if (give_up) begin
                            armed <= 1'b0;
                        end
                    end
                end
            end
        end else if (state == S_REF) begin  // sum the reference window, one sample per clock
            if (rd_pending) begin
                ref_x <= ref_x + {{16{rd_data[47]}}, rd_data[47:32]};
                ref_y <= ref_y + {{16{rd_data[31]}}, rd_data[31:16]};
                ref_z <= ref_z + {{16{rd_data[15]}}, rd_data[15:0]};
            end
            if (left != 32'd0) begin
                rd_addr    <= rd_addr + 10'd1;
                left       <= left - 32'd1;
                rd_pending <= 1'b1;
            end else begin
                // the rate window ends at the impact, the sample before idx (already advanced)
                rd_addr    <= idx[9:0] - rate_len[9:0];
                left       <= rate_len;
                rd_pending <= 1'b0;
                state      <= S_RATE;
            end
        end else begin  // S_RATE: the largest w of the rate window, one sample per clock
            if (rd_pending && rd_data[63:48] > rate) rate <= rd_data[63:48];
            if (left != 32'd0) begin
                rd_addr    <= rd_addr + 10'd1;
                left       <= left - 32'd1;
                rd_pending <= 1'b1;
            end else begin
                rd_pending <= 1'b0;
                state      <= S_IDLE;
            end
        end
    end
endmodule

`default_nettype wire
