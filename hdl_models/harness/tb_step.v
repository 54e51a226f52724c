// Test harness of step_detector: the accelerometer stream comes from a hex file read with
// $readmemh and is strobed into the detector inside the HDL, one sample every CLKS_PER_SAMPLE
// clocks, so Python only starts the run, watches the STEP pulses and waits for `done`
// (hdl_models/harness/test_step.py). No timing constructs: cocotb drives clk, so Verilator needs no
// --timing.
//
// Stimulus file: one sample per line, 24 hex digits = ax ay az gx gy gz, 16-bit two's complement
// each (NO_DATA is 8000; a disabled channel is written as NO_DATA). Its path is given at run time on `stim_path` (an ASCII string, last character
// in the low byte, leading NUL bytes ignored), so one build serves every scenario.
//
//   load      one-clock pulse after reset: read the stimulus, then stream n_samples samples
//   done      high once every sample is decided; stays high until reset
//   overrun   a strobe found the detector busy (CLKS_PER_SAMPLE too small); sticky
//   sqrt_*    a second isqrt32 on its own, driven directly by the test (exactness checks)
//   cov_*     functional coverage: how many decided samples took each branch of the step
//             decision (hierarchical references into the detector, counted in its S_DECIDE
//             state, so the RTL itself carries no verification logic); read once `done` is high
`default_nettype none

module tb_step #(
    parameter integer MAX_SAMPLES     = 16384,  // 60 s at 100 Hz is 6000
    parameter integer CLKS_PER_SAMPLE = 20      // >= the detector's 19 clocks per sample
) (
    input  wire                clk,
    input  wire                rst_n,
    input  wire                load,
    input  wire [8*256-1:0]    stim_path,
    input  wire [31:0]         n_samples,
    input  wire [31:0]         step_sharp_min_mg,
    input  wire [31:0]         step_adapt_shift,
    input  wire [31:0]         step_refractory_samples,
    input  wire [2:0]          gyro_enable,
    input  wire [31:0]         step_mode,
    input  wire [31:0]         step_gyro_axis,
    input  wire [31:0]         step_swing_min_dps,
    input  wire [31:0]         step_hs_level_dps,
    input  wire [31:0]         step_stance_min,
    input  wire [31:0]         step_half_stride_samples,
    input  wire [31:0]         step_max_stride_samples,
    input  wire [31:0]         step_contra_slack_samples,
    input  wire [31:0]         step_gyro_delay_samples,
    input  wire [31:0]         step_trunk_fast_shift,
    input  wire [31:0]         step_trunk_slow_shift,
    output reg                 done,
    output reg                 overrun,
    output wire                step,
    output wire [31:0]         step_index,
    output wire [31:0]         step_count,
    input  wire                sqrt_start,
    input  wire [31:0]         sqrt_x,
    output wire                sqrt_busy,
    output wire                sqrt_done,
    output wire [15:0]         sqrt_root,
    output reg  [31:0]         cov_acc_step,         // mode 0: a sharpness peak is a STEP
    output reg  [31:0]         cov_refractory_veto,  // mode 0: a peak inside the refractory period
    output reg  [31:0]         cov_adaptive_veto,    // mode 0: over the floor, under peak_avg>>>shift
    output reg  [31:0]         cov_gyro_fallback,    // STEP_MODE 1 with its gyro channel disabled
    output reg  [31:0]         cov_heel_strike,      // mode 1: swing then reversal
    output reg  [31:0]         cov_other_shock,      // mode 1: the other leg's shock in its window
    output reg  [31:0]         cov_other_window_end, // mode 1: window end after enough rotation
    output reg  [31:0]         cov_other_refused,    // mode 1: window end without the rotation
    output reg  [31:0]         cov_early_shock,      // mode 1: a peak before the window opens
    output reg  [31:0]         cov_window_cut,       // mode 1: a heel strike while a window is open
    output reg  [31:0]         cov_armed_while_due,  // mode 1: a swing while a STEP is still due
    output reg  [31:0]         cov_trunk_step,       // mode 2: a band-passed |a| peak is a STEP
    output reg  [31:0]         cov_trunk_refractory_veto,  // mode 2: a peak inside the refractory period
    output reg  [31:0]         cov_trunk_adaptive_veto,    // mode 2: over the floor, under peak_avg>>>shift
    output reg  [31:0]         cov_trunk_below_baseline    // mode 2: the fast mean under the slow one
);
    localparam integer ADDR_BITS = $clog2(MAX_SAMPLES);

    reg [95:0] stim [0:MAX_SAMPLES-1];
    reg        running;
    reg [31:0] sent;   // samples strobed so far
    reg [31:0] tick;   // clocks since the last strobe
    reg        strobe;
    reg [95:0] sample;
    wire       ready;

    step_detector u_dut (
        .clk                      (clk),
        .rst_n                    (rst_n),
        .i_valid                  (strobe),
        .i_ax                     (sample[95:80]),
        .i_ay                     (sample[79:64]),
        .i_az                     (sample[63:48]),
        .i_step_sharp_min_mg      (step_sharp_min_mg),
        .i_step_adapt_shift       (step_adapt_shift),
        .i_step_refractory_samples(step_refractory_samples),
        .i_gx                     (sample[47:32]),
        .i_gy                     (sample[31:16]),
        .i_gz                     (sample[15:0]),
        .i_gyro_enable            (gyro_enable),
        .i_step_mode              (step_mode),
        .i_step_gyro_axis         (step_gyro_axis),
        .i_step_swing_min_dps     (step_swing_min_dps),
        .i_step_hs_level_dps      (step_hs_level_dps),
        .i_step_stance_min        (step_stance_min),
        .i_step_half_stride_samples(step_half_stride_samples),
        .i_step_max_stride_samples(step_max_stride_samples),
        .i_step_contra_slack_samples(step_contra_slack_samples),
        .i_step_gyro_delay_samples(step_gyro_delay_samples),
        .i_step_trunk_fast_shift  (step_trunk_fast_shift),
        .i_step_trunk_slow_shift  (step_trunk_slow_shift),
        .o_ready                  (ready),
        .o_step                   (step),
        .o_step_index             (step_index),
        .o_step_count             (step_count),
        .o_mag                    ()  // the fall detector's input, not needed here
    );

    isqrt32 u_sqrt (
        .clk    (clk),
        .rst_n  (rst_n),
        .i_start(sqrt_start),
        .i_x    (sqrt_x),
        .o_busy (sqrt_busy),
        .o_done (sqrt_done),
        .o_root (sqrt_root)
    );

    // Coverage, sampled where the detector decides a sample (S_DECIDE = 2).
    wire deciding = u_dut.state == 2'd2;
    wire gyro     = u_dut.gyro_mode;
    wire trunk    = u_dut.trunk_mode;
    wire acc      = !gyro && !trunk;  // mode 0
    wire adapt_veto = u_dut.past_two && u_dut.r1 >= u_dut.sharp_min && u_dut.r1 < u_dut.adapt
        && u_dut.r1 >= u_dut.r2 && u_dut.r1 > u_dut.r_now;
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            cov_acc_step         <= 32'd0;
            cov_refractory_veto  <= 32'd0;
            cov_adaptive_veto    <= 32'd0;
            cov_gyro_fallback    <= 32'd0;
            cov_heel_strike      <= 32'd0;
            cov_other_shock      <= 32'd0;
            cov_other_window_end <= 32'd0;
            cov_other_refused    <= 32'd0;
            cov_early_shock      <= 32'd0;
            cov_window_cut       <= 32'd0;
            cov_armed_while_due  <= 32'd0;
            cov_trunk_step            <= 32'd0;
            cov_trunk_refractory_veto <= 32'd0;
            cov_trunk_adaptive_veto   <= 32'd0;
            cov_trunk_below_baseline  <= 32'd0;
        end else if (deciding) begin
            if (acc && u_dut.step) cov_acc_step <= cov_acc_step + 32'd1;
            if (acc && u_dut.is_peak && !u_dut.refractory_ok)
                cov_refractory_veto <= cov_refractory_veto + 32'd1;
            if (acc && adapt_veto) cov_adaptive_veto <= cov_adaptive_veto + 32'd1;
            if (trunk && u_dut.step) cov_trunk_step <= cov_trunk_step + 32'd1;
            if (trunk && u_dut.is_peak && !u_dut.refractory_ok)
                cov_trunk_refractory_veto <= cov_trunk_refractory_veto + 32'd1;
            if (trunk && adapt_veto) cov_trunk_adaptive_veto <= cov_trunk_adaptive_veto + 32'd1;
            if (trunk && u_dut.band < 0)
                cov_trunk_below_baseline <= cov_trunk_below_baseline + 32'd1;
            if (!gyro && u_dut.i_step_mode == 32'd1)
                cov_gyro_fallback <= cov_gyro_fallback + 32'd1;
            if (gyro && u_dut.heel_strike) cov_heel_strike <= cov_heel_strike + 32'd1;
            if (gyro && u_dut.acc_other) cov_other_shock <= cov_other_shock + 32'd1;
            if (gyro && u_dut.close_other && u_dut.rotated)
                cov_other_window_end <= cov_other_window_end + 32'd1;
            if (gyro && u_dut.close_other && !u_dut.rotated)
                cov_other_refused <= cov_other_refused + 32'd1;
            if (gyro && u_dut.in_window && u_dut.idx < u_dut.window_from && u_dut.is_peak)
                cov_early_shock <= cov_early_shock + 32'd1;
            if (gyro && u_dut.pending && u_dut.heel_strike)
                cov_window_cut <= cov_window_cut + 32'd1;
            if (gyro && u_dut.w <= u_dut.swing_level && u_dut.due_later)
                cov_armed_while_due <= cov_armed_while_due + 32'd1;
        end
    end

    always @(posedge clk) begin
        if (load && n_samples != 32'd0) $readmemh(stim_path, stim, 0, n_samples - 32'd1);
    end

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            running <= 1'b0;
            sent    <= 32'd0;
            tick    <= 32'd0;
            strobe  <= 1'b0;
            sample  <= 96'd0;
            done    <= 1'b0;
            overrun <= 1'b0;
        end else begin
            strobe <= 1'b0;
            if (load) begin
                running <= 1'b1;
                tick    <= CLKS_PER_SAMPLE - 1;  // first strobe right after the file is read
            end else if (running) begin
                if (sent == n_samples) begin
                    if (ready && !strobe) begin
                        running <= 1'b0;
                        done    <= 1'b1;
                    end
                end else if (tick == CLKS_PER_SAMPLE - 1) begin
                    tick   <= 32'd0;
                    strobe <= 1'b1;
                    sample <= stim[sent[ADDR_BITS-1:0]];
                    sent   <= sent + 32'd1;
                    if (!ready || strobe) overrun <= 1'b1;
                end else begin
                    tick <= tick + 32'd1;
                end
            end
        end
    end
endmodule

`default_nettype wire
