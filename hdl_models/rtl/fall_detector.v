// fall_detector: the FALL events of the digital core (chip_sim/core/reference.py, run_epoch,
// "falls").
//
// Per sample i (counted from 0 at reset); valid = no axis is NO_DATA (16'h8000); a = (ax, ay, az)
// when valid, else (0, 0, 0), is kept in a ring buffer of the last 1024 samples:
//   not armed: lo = i - FALL_REF_DELAY_SAMPLES - FALL_REF_SAMPLES + 1
//              mag >= FALL_IMPACT_MG and valid and lo >= 0 -> armed, impact = i, peak = mag,
//              ref = sum of a[lo .. i - FALL_REF_DELAY_SAMPLES], post = (0, 0, 0)
//   armed:     since = i - impact
//              since <= FALL_SETTLE_SAMPLES:                    peak = max(peak, mag)
//              else if !valid or |mag - 1000| > FALL_STILL_MG:  disarm
//              else: post += (ax, ay, az)
//                    since == FALL_SETTLE_SAMPLES + FALL_STILL_SAMPLES:
//                        dot = ref . post
//                        limit = FALL_MAX_COS_PERMILLE * FALL_REF_SAMPLES * FALL_STILL_SAMPLES * 1000
//                        dot < limit -> FALL (value peak); disarm
// (the sample that arms or disarms is not checked again in the same sample).
//
// The reference is summed only at an impact, reading its window out of the ring buffer one sample
// per clock (FALL_REF_SAMPLES + 1 clocks with o_ready low), so it is exact for the registers of
// that moment. dot and limit are 64-bit signed: exact within the register ranges of
// chip_sim/spec/registers.yaml (FALL_REF_DELAY_SAMPLES <= 400, FALL_REF_SAMPLES <= 128 so the
// window lies within the last 528 samples; FALL_STILL_SAMPLES <= 1000;
// FALL_MAX_COS_PERMILLE -1000..1000).
//
//   i_valid     one-clock sample strobe with i_ax/i_ay/i_az and i_mag; taken only while o_ready is
//               high
//   i_mag       isqrt(ax² + ay² + az²) in mg, or 1000 when an axis is NO_DATA (computed outside,
//               e.g. step_detector's o_mag)
//   i_impact_mg, i_settle_samples, i_still_samples, i_still_mg, i_max_cos_permille,
//   i_ref_delay_samples, i_ref_samples
//               the FALL_* registers (FALL_MAX_COS_PERMILLE signed, the others unsigned)
//   o_ready     idle; after a strobe the sample is decided (o_fall, o_peak_mg valid) when o_ready is
//               high again: the clock after the strobe, or after the reference sum at an impact
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
    input  wire        [15:0] i_mag,
    input  wire        [31:0] i_impact_mg,
    input  wire        [31:0] i_settle_samples,
    input  wire        [31:0] i_still_samples,
    input  wire        [31:0] i_still_mg,
    input  wire signed [31:0] i_max_cos_permille,
    input  wire        [31:0] i_ref_delay_samples,
    input  wire        [31:0] i_ref_samples,
    output wire               o_ready,
    output reg                o_fall,
    output reg         [15:0] o_peak_mg
);
    localparam [15:0] NO_DATA = 16'h8000;
    localparam S_IDLE = 1'b0, S_REF = 1'b1;

    reg state;
    assign o_ready = state == S_IDLE;

    // --- state ---------------------------------------------------------------------------------
    reg         [31:0] idx;       // i, the index of the next sample
    reg                armed;
    reg         [31:0] impact;
    reg         [15:0] peak;
    reg  signed [31:0] ref_x, ref_y, ref_z;
    reg  signed [31:0] post_x, post_y, post_z;
    reg         [31:0] ref_left;  // window samples still to be read
    reg                rd_pending; // rd_data holds a window sample to add

    // --- acceleration history: 1024 samples, written at each strobe, read synchronously --------
    reg  [47:0] ring [0:1023];
    reg  [9:0]  rd_addr;
    reg  [47:0] rd_data;
    wire        no_data = (i_ax == NO_DATA) || (i_ay == NO_DATA) || (i_az == NO_DATA);
    wire        take = (state == S_IDLE) && i_valid;

    always @(posedge clk) begin
        if (take) ring[idx[9:0]] <= no_data ? 48'd0 : {i_ax, i_ay, i_az};
        rd_data <= ring[rd_addr];
    end

    // arming: lo >= 0  <=>  i + 1 >= delay + ref (34-bit, no wrap)
    wire [33:0] i_plus_1 = {2'b00, idx} + 34'd1;
    wire [33:0] window_end = {2'b00, i_ref_delay_samples} + {2'b00, i_ref_samples};
    wire        lo_ok = i_plus_1 >= window_end;
    wire [9:0]  lo_addr = idx[9:0] + 10'd1 - i_ref_delay_samples[9:0] - i_ref_samples[9:0];
    wire        impact_now = ({16'd0, i_mag} >= i_impact_mg) && !no_data && lo_ok;

    // armed
    wire [31:0] since = idx - impact;
    wire        settling = since <= i_settle_samples;
    wire signed [17:0] dev = $signed({2'b00, i_mag}) - 18'sd1000;
    wire        [17:0] dev_abs = dev[17] ? -dev : dev;
    wire        unstill = no_data || ({14'd0, dev_abs} > i_still_mg);
    wire signed [31:0] px = post_x + {{16{i_ax[15]}}, i_ax};
    wire signed [31:0] py = post_y + {{16{i_ay[15]}}, i_ay};
    wire signed [31:0] pz = post_z + {{16{i_az[15]}}, i_az};
    wire        last_still = {1'b0, since} == {1'b0, i_settle_samples} + {1'b0, i_still_samples};
    wire signed [63:0] dot = {{32{ref_x[31]}}, ref_x} * {{32{px[31]}}, px}
                           + {{32{ref_y[31]}}, ref_y} * {{32{py[31]}}, py}
                           + {{32{ref_z[31]}}, ref_z} * {{32{pz[31]}}, pz};
    wire signed [63:0] limit = {{32{i_max_cos_permille[31]}}, i_max_cos_permille}
                             * $signed({32'd0, i_ref_samples})
                             * $signed({32'd0, i_still_samples})
                             * 64'sd1000;

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
            ref_left   <= 32'd0;
            rd_pending <= 1'b0;
            o_fall     <= 1'b0;
            o_peak_mg  <= 16'd0;
        end else if (state == S_IDLE) begin
            if (i_valid) begin
                o_fall <= 1'b0;
                idx    <= idx + 32'd1;
                if (!armed) begin
                    if (impact_now) begin
                        armed      <= 1'b1;
                        impact     <= idx;
                        peak       <= i_mag;
                        post_x     <= 32'sd0;
                        post_y     <= 32'sd0;
                        post_z     <= 32'sd0;
                        ref_x      <= 32'sd0;
                        ref_y      <= 32'sd0;
                        ref_z      <= 32'sd0;
                        rd_addr    <= lo_addr;
                        ref_left   <= i_ref_samples;
                        rd_pending <= 1'b0;
                        state      <= S_REF;
                    end
                end else if (settling) begin
                    if (i_mag > peak) peak <= i_mag;
                end else if (unstill) begin
                    armed <= 1'b0;
                end else begin
                    post_x <= px;
                    post_y <= py;
                    post_z <= pz;
                    if (last_still) begin
                        if (dot < limit) begin
                            o_fall    <= 1'b1;
                            o_peak_mg <= peak;
                        end
                        armed <= 1'b0;
                    end
                end
            end
        end else begin  // S_REF: sum the reference window, one sample per clock
            if (rd_pending) begin
                ref_x <= ref_x + {{16{rd_data[47]}}, rd_data[47:32]};
                ref_y <= ref_y + {{16{rd_data[31]}}, rd_data[31:16]};
                ref_z <= ref_z + {{16{rd_data[15]}}, rd_data[15:0]};
            end
            if (ref_left != 32'd0) begin
                rd_addr    <= rd_addr + 10'd1;
                ref_left   <= ref_left - 32'd1;
                rd_pending <= 1'b1;
            end else begin
                rd_pending <= 1'b0;
                state      <= S_IDLE;
            end
        end
    end
endmodule

`default_nettype wire
