// Test harness of overload_detector and temp_detector: the load and temperature stream comes from
// a hex file read with $readmemh and is strobed into both detectors inside the HDL, one sample
// every CLKS_PER_SAMPLE clocks, so Python only starts the run, watches the event pulses and waits
// for `done` (hdl_models/harness/test_load_temp.py). No timing constructs: cocotb drives clk, so a
// build with Verilator needs no --timing.
//
// Stimulus file: one sample per line, 8 hex digits = load temp (ICD channels 6 and 7), 16-bit two's
// complement each (NO_DATA is 8000). Its path is given at run time on `stim_path` (an ASCII string,
// last character in the low byte, leading NUL bytes ignored), so one build serves every case.
//
//   load      one-clock pulse after reset: read the stimulus, then stream n_samples samples
//   done      high once every sample is decided; stays high until reset
//   ov_*      overload_detector's event (pulse, code, sample index, value)
//   tmp_*     temp_detector's event (pulse, code, sample index, value)
// CLKS_PER_SAMPLE >= 2 keeps a low clock between event pulses of consecutive samples, so every
// event is a rising edge of its pulse.
`default_nettype none

module tb_load_temp #(
    parameter integer MAX_SAMPLES     = 16384,
    parameter integer CLKS_PER_SAMPLE = 2
) (
    input  wire                clk,
    input  wire                rst_n,
    input  wire                load,
    input  wire [8*256-1:0]    stim_path,
    input  wire [31:0]         n_samples,
    input  wire [31:0]         overload_limit,
    input  wire [31:0]         overload_min_samples,
    input  wire [31:0]         overload_hyst,
    input  wire [31:0]         temp_high_limit,
    input  wire [31:0]         temp_hyst,
    input  wire [31:0]         temp_min_samples,
    output reg                 done,
    output wire                ov_event,
    output wire [7:0]          ov_code,
    output wire [31:0]         ov_index,
    output wire [31:0]         ov_value,
    output wire                tmp_event,
    output wire [7:0]          tmp_code,
    output wire [31:0]         tmp_index,
    output wire [31:0]         tmp_value
);
    localparam integer ADDR_BITS = $clog2(MAX_SAMPLES);

    reg [31:0] stim [0:MAX_SAMPLES-1];
    reg        running;
    reg [31:0] sent;   // samples strobed so far
    reg [31:0] tick;   // clocks since the last strobe
    reg        strobe;
    reg [31:0] sample;

    overload_detector u_overload (
        .clk                   (clk),
        .rst_n                 (rst_n),
        .i_valid               (strobe),
        .i_load                (sample[31:16]),
        .i_overload_limit      (overload_limit),
        .i_overload_min_samples(overload_min_samples),
        .i_overload_hyst       (overload_hyst),
        .o_event               (ov_event),
        .o_code                (ov_code),
        .o_index               (ov_index),
        .o_value               (ov_value)
    );

    temp_detector u_temp (
        .clk               (clk),
        .rst_n             (rst_n),
        .i_valid           (strobe),
        .i_temp            (sample[15:0]),
        .i_temp_high_limit (temp_high_limit),
        .i_temp_hyst       (temp_hyst),
        .i_temp_min_samples(temp_min_samples),
        .o_event           (tmp_event),
        .o_code            (tmp_code),
        .o_index           (tmp_index),
        .o_value           (tmp_value)
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
            sample  <= 32'd0;
            done    <= 1'b0;
        end else begin
            strobe <= 1'b0;
            if (load) begin
                running <= 1'b1;
                tick    <= CLKS_PER_SAMPLE - 1;  // first strobe right after the file is read
            end else if (running) begin
                if (sent == n_samples) begin
                    if (!strobe) begin  // the last sample's event, if any, is out
                        running <= 1'b0;
                        done    <= 1'b1;
                    end
                end else if (tick == CLKS_PER_SAMPLE - 1) begin
                    tick   <= 32'd0;
                    strobe <= 1'b1;
                    sample <= stim[sent[ADDR_BITS-1:0]];
                    sent   <= sent + 32'd1;
                end else begin
                    tick <= tick + 32'd1;
                end
            end
        end
    end
endmodule

`default_nettype wire
