// Test harness of step_detector: the accelerometer stream comes from a hex file read with
// $readmemh and is strobed into the detector inside the HDL, one sample every CLKS_PER_SAMPLE
// clocks, so Python only starts the run, watches the STEP pulses and waits for `done`
// (hdl_models/tests/test_step.py). No timing constructs: cocotb drives clk, so Verilator needs no
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
    output reg                 done,
    output reg                 overrun,
    output wire                step,
    output wire [31:0]         step_index,
    output wire [31:0]         step_count,
    input  wire                sqrt_start,
    input  wire [31:0]         sqrt_x,
    output wire                sqrt_busy,
    output wire                sqrt_done,
    output wire [15:0]         sqrt_root
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
