// Test harness of fall_detector and fault_detector: the 8-channel code stream comes from a hex file
// read with $readmemh and is fed to both detectors inside the HDL, so Python only starts the run,
// watches the event pulses and waits for `done` (hdl_models/harness/test_fall_fault.py). No timing
// constructs: cocotb drives clk, so a build with Verilator needs no --timing.
//
// Stimulus file: one sample per line, 32 hex digits = channels 7 6 5 4 3 2 1 0 (channel k at bits
// [16k+15:16k]), 16-bit two's complement each (NO_DATA is 8000). Its path is given at run time on
// `stim_path` (an ASCII string, last character in the low byte, leading NUL bytes ignored), so one
// build serves every case. Channels whose `channel_enable` bit is clear are replaced by NO_DATA,
// as the core does.
//
// Per sample: fetch and mask; strobe fault_detector and start isqrt32 on ax² + ay² + az² (mag =
// 1000 when an axis is NO_DATA); strobe fall_detector with the magnitude; wait for its o_ready;
// next sample. So a sample never finds a detector busy.
//
//   load          one-clock pulse after reset: read the stimulus, then stream n_samples samples
//   done          high once every sample is decided; stays high until reset
//   fault_*       one-clock pulse when a sample has any FAULT event; fault_index is the sample,
//                 fault_sat/stuck/drop the channel bit vectors of FAULT_SATURATION/STUCK/DROPOUT
//   fall_*        one-clock pulse when a sample is a FALL (sample index, peak mg)
//   status_*      one-clock pulse after every status_period-th sample ((i + 1) % period == 0) with
//                 fault_detector's o_flags (the STATUS fault_flags)
// The pulses of one sample are at least 4 clocks apart from the next sample's, so every event is
// a rising edge.
`default_nettype none

module tb_fall_fault #(
    parameter integer MAX_SAMPLES = 16384
) (
    input  wire                clk,
    input  wire                rst_n,
    input  wire                load,
    input  wire [8*256-1:0]    stim_path,
    input  wire [31:0]         n_samples,
    input  wire [7:0]          channel_enable,
    input  wire [31:0]         fault_sat_samples,
    input  wire [31:0]         fault_stuck_samples,
    input  wire [7:0]          fault_stuck_mask,
    input  wire [31:0]         fault_dropout_samples,
    input  wire [31:0]         fall_impact_mg,
    input  wire [31:0]         fall_settle_samples,
    input  wire [31:0]         fall_still_samples,
    input  wire [31:0]         fall_still_mg,
    input  wire [31:0]         fall_max_cos_permille,
    input  wire [31:0]         fall_ref_delay_samples,
    input  wire [31:0]         fall_ref_samples,
    input  wire [31:0]         fall_wait_samples,
    input  wire [31:0]         fall_rate_dps,
    input  wire [31:0]         fall_rate_samples,
    input  wire [31:0]         status_period,
    output reg                 done,
    output reg                 fault_event,
    output reg  [31:0]         fault_index,
    output reg  [7:0]          fault_sat,
    output reg  [7:0]          fault_stuck,
    output reg  [7:0]          fault_drop,
    output reg                 fall_event,
    output reg  [31:0]         fall_index,
    output reg  [15:0]         fall_value,
    output reg                 status_event,
    output reg  [31:0]         status_index,
    output reg  [7:0]          status_flags
);
    localparam integer ADDR_BITS = $clog2(MAX_SAMPLES);
    localparam [15:0] NO_DATA = 16'h8000;
    localparam [2:0] H_IDLE = 3'd0, H_FETCH = 3'd1, H_START = 3'd2, H_SQRT = 3'd3,
                     H_FALL = 3'd4, H_WAIT = 3'd5;

    reg [127:0] stim [0:MAX_SAMPLES-1];
    reg [2:0]   state;
    reg [31:0]  sent;        // samples fully decided so far (= index of the current sample)
    reg [31:0]  status_cnt;  // (index of the current sample) mod status_period
    reg [127:0] sample;      // masked codes of the current sample
    reg [15:0]  mag;
    reg         fault_seen;  // fault_detector's outputs are this sample's

    // --- masking: disabled channels read NO_DATA -------------------------------------------------
    wire [127:0] raw = stim[sent[ADDR_BITS-1:0]];
    reg  [127:0] masked;
    integer      k;
    always @* begin
        masked = raw;
        for (k = 0; k < 8; k = k + 1)
            if (!channel_enable[k]) masked[16*k +: 16] = NO_DATA;
    end

    wire signed [15:0] ax = sample[15:0];
    wire signed [15:0] ay = sample[31:16];
    wire signed [15:0] az = sample[47:32];
    wire no_data = (ax == NO_DATA) || (ay == NO_DATA) || (az == NO_DATA);
    wire signed [31:0] ax2 = ax * ax;
    wire signed [31:0] ay2 = ay * ay;
    wire signed [31:0] az2 = az * az;
    wire [31:0] sum_sq = $unsigned(ax2) + $unsigned(ay2) + $unsigned(az2);

    wire        sqrt_busy, sqrt_done;
    wire [15:0] sqrt_root;
    isqrt32 u_sqrt (
        .clk    (clk),
        .rst_n  (rst_n),
        .i_start((state == H_START) && !no_data),
        .i_x    (sum_sq),
        .o_busy (sqrt_busy),
        .o_done (sqrt_done),
        .o_root (sqrt_root)
    );

    wire [7:0] o_sat, o_stuck, o_drop, o_flags;
    fault_detector u_fault (
        .clk              (clk),
        .rst_n            (rst_n),
        .i_valid          (state == H_START),
        .i_codes          (sample),
        .i_enable         (channel_enable),
        .i_sat_samples    (fault_sat_samples),
        .i_stuck_samples  (fault_stuck_samples),
        .i_stuck_mask     (fault_stuck_mask),
        .i_dropout_samples(fault_dropout_samples),
        .o_sat            (o_sat),
        .o_stuck          (o_stuck),
        .o_drop           (o_drop),
        .o_flags          (o_flags)
    );

    wire        fall_ready, o_fall;
    wire [15:0] o_peak_mg;
    fall_detector u_fall (
        .clk                (clk),
        .rst_n              (rst_n),
        .i_valid            (state == H_FALL),
        .i_ax               (ax),
        .i_ay               (ay),
        .i_az               (az),
        .i_gx               (sample[63:48]),
        .i_gy               (sample[79:64]),
        .i_gz               (sample[95:80]),
        .i_mag              (mag),
        .i_impact_mg        (fall_impact_mg),
        .i_settle_samples   (fall_settle_samples),
        .i_still_samples    (fall_still_samples),
        .i_still_mg         (fall_still_mg),
        .i_max_cos_permille (fall_max_cos_permille),
        .i_ref_delay_samples(fall_ref_delay_samples),
        .i_ref_samples      (fall_ref_samples),
        .i_wait_samples     (fall_wait_samples),
        .i_rate_dps         (fall_rate_dps),
        .i_rate_samples     (fall_rate_samples),
        .i_gyro_on          (|channel_enable[5:3]),
        .o_ready            (fall_ready),
        .o_fall             (o_fall),
        .o_peak_mg          (o_peak_mg)
    );

    always @(posedge clk) begin
        if (load && n_samples != 32'd0) $readmemh(stim_path, stim, 0, n_samples - 32'd1);
    end

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            state        <= H_IDLE;
            sent         <= 32'd0;
            status_cnt   <= 32'd0;
            sample       <= 128'd0;
            mag          <= 16'd0;
            fault_seen   <= 1'b0;
            done         <= 1'b0;
            fault_event  <= 1'b0;
            fault_index  <= 32'd0;
            fault_sat    <= 8'd0;
            fault_stuck  <= 8'd0;
            fault_drop   <= 8'd0;
            fall_event   <= 1'b0;
            fall_index   <= 32'd0;
            fall_value   <= 16'd0;
            status_event <= 1'b0;
            status_index <= 32'd0;
            status_flags <= 8'd0;
        end else begin
            fault_event  <= 1'b0;
            fall_event   <= 1'b0;
            status_event <= 1'b0;
            fault_seen   <= state == H_START;
            if (fault_seen) begin
                if ((o_sat | o_stuck | o_drop) != 8'd0) begin
                    fault_event <= 1'b1;
                    fault_index <= sent;
                    fault_sat   <= o_sat;
                    fault_stuck <= o_stuck;
                    fault_drop  <= o_drop;
                end
                if (status_cnt + 32'd1 == status_period) begin
                    status_event <= 1'b1;
                    status_index <= sent;
                    status_flags <= o_flags;
                end
            end
            case (state)
                H_IDLE: if (load) state <= H_FETCH;
                H_FETCH: begin
                    if (sent == n_samples) begin
                        done  <= 1'b1;
                        state <= H_IDLE;
                    end else begin
                        sample <= masked;
                        state  <= H_START;
                    end
                end
                H_START: begin  // fault_detector strobe, isqrt32 start
                    if (no_data) begin
                        mag   <= 16'd1000;
                        state <= H_FALL;
                    end else begin
                        state <= H_SQRT;
                    end
                end
                H_SQRT: if (sqrt_done) begin
                    mag   <= sqrt_root;
                    state <= H_FALL;
                end
                H_FALL: state <= H_WAIT;  // fall_detector strobe
                default: if (fall_ready) begin  // H_WAIT: the sample is decided
                    if (o_fall) begin
                        fall_event <= 1'b1;
                        fall_index <= sent;
                        fall_value <= o_peak_mg;
                    end
                    sent       <= sent + 32'd1;
                    status_cnt <= (status_cnt + 32'd1 == status_period) ? 32'd0
                                                                       : status_cnt + 32'd1;
                    state      <= H_FETCH;
                end
            endcase
        end
    end
endmodule

`default_nettype wire
