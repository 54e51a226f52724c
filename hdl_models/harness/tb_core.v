// Harness of smile_core: the analog front end's sample stream and the chip's power, inside the HDL.
// The stimulus is read with $readmemh and strobed into the core here, so Python works at frame level
// only (it drives the host UART with cocotbext-uart and decodes the chip's UART) — no per-sample or
// per-clock Python. The core clock is generated here too (a cocotb Clock costs a Python crossing
// per edge, ~4x slower under Verilator): 921.6 kHz, period 1085 ns (the 1 ns build unit rounds
// 1085.07 ns), so Verilator builds this harness with --timing (hdl_models/sim.py).
//
// Stimulus file: one sample per line, 33 hex digits: a flag nibble, then channels 7..0 (16-bit two's
// complement each, NO_DATA = 8000). Flag bit 0 = the chip is unpowered during this sample (a
// brown-out: the core is held in reset, the sample is lost, the registers are kept).
// The path is given at run time on `stim_path` (ASCII, last character in the low byte).
//
//   load             one-clock pulse: read the stimulus, then stream n_samples samples
//   clks_per_sample  clocks between samples; 9216 = 100 Hz at the 921.6 kHz core clock (real time).
//                    0 = elastic: the next sample as soon as the core is idle (the previous sample
//                    decided and all its frames sent) — identical output when real time would not
//                    overflow the event FIFO, at a fraction of the clocks
//   done             every sample streamed and the chip idle; held until the next load
//   overruns         samples whose strobe found the core still busy (real-time pacing only)
//   max_fifo_level   not a level: 1 once the event FIFO was ever full (coverage)
//   dump_from/dump_to  when dump_to > dump_from, a waveform (dump_path; FST as Icarus runs under
//                    hdl_models.sim with hdl_dumps) covers samples dump_from..dump_to (the
//                    waveform of a failing equivalence case)
`default_nettype none

module tb_core #(
    parameter integer MAX_SAMPLES = 131072,
    parameter integer FIFO_DEPTH  = 32
) (
    input  wire             por_n,
    input  wire             load,
    input  wire [8*256-1:0] stim_path,
    input  wire [8*256-1:0] dump_path,
    input  wire [31:0]      n_samples,
    input  wire [31:0]      clks_per_sample,
    input  wire [31:0]      dump_from,
    input  wire [31:0]      dump_to,
    input  wire             rxd,
    output wire             txd,
    output reg              done,
    output reg  [31:0]      overruns,
    output reg  [31:0]      streamed,
    output reg              fifo_was_full,
    output wire [31:0]      events_dropped,
    output wire [15:0]      status_lost,
    output wire [15:0]      resp_dropped,
    output wire [15:0]      crc_errors,
    output wire             sampling,
    output wire             idle
);
    localparam integer ADDR_BITS = $clog2(MAX_SAMPLES);

    reg clk;
    initial clk = 1'b0;
    always #542.5 clk = ~clk;

    reg [131:0] stim [0:MAX_SAMPLES-1];
    reg         running;
    reg [31:0]  tick;
    reg         strobe;
    reg [127:0] codes;
    reg         brownout;
    wire        ready;
    wire        fifo_full;

    smile_core #(.FIFO_DEPTH(FIFO_DEPTH)) u_core (
        .clk             (clk),
        .por_n           (por_n),
        .i_brownout      (brownout),
        .i_sample_valid  (strobe),
        .i_codes         (codes),
        .o_sample_ready  (ready),
        .i_rxd           (rxd),
        .o_txd           (txd),
        .o_idle          (idle),
        .o_fifo_full     (fifo_full),
        .o_events_dropped(events_dropped),
        .o_status_lost   (status_lost),
        .o_sampling      (sampling),
        .o_resp_dropped  (resp_dropped),
        .o_crc_errors    (crc_errors)
    );

    always @(posedge clk) begin
        if (load && n_samples != 32'd0) $readmemh(stim_path, stim, 0, n_samples - 32'd1);
    end

    // waveform of a window of samples (dump_to > dump_from); Icarus only (Verilator would need
    // a --trace build)
`ifndef VERILATOR
    reg dumping;
    initial dumping = 1'b0;
    always @(posedge clk) begin
        if (dump_to > dump_from && running && !dumping && streamed == dump_from) begin
            $dumpfile(dump_path);
            $dumpvars(0, tb_core);
            dumping = 1'b1;
        end else if (dumping && (streamed == dump_to || done)) begin
            $dumpoff;
            $dumpflush;
            dumping = 1'b0;
        end
    end
`endif

    wire [131:0] next = stim[streamed[ADDR_BITS-1:0]];
    wire         elastic = clks_per_sample == 32'd0;
    // elastic: an unpowered sample takes one clock
    wire         slot = elastic ? (brownout || (ready && idle && !strobe))
                                : tick >= clks_per_sample - 32'd1;

    always @(posedge clk or negedge por_n) begin
        if (!por_n) begin
            running       <= 1'b0;
            tick          <= 32'd0;
            strobe        <= 1'b0;
            codes         <= 128'd0;
            brownout      <= 1'b0;
            done          <= 1'b0;
            overruns      <= 32'd0;
            streamed      <= 32'd0;
            fifo_was_full <= 1'b0;
        end else begin
            strobe <= 1'b0;
            if (fifo_full) fifo_was_full <= 1'b1;
            if (load) begin
                running  <= 1'b1;
                done     <= 1'b0;
                streamed <= 32'd0;
                tick     <= 32'd0;
            end else if (running) begin
                tick <= tick + 32'd1;
                if (streamed == n_samples) begin
                    if (brownout || (idle && ready && !strobe)) begin
                        running <= 1'b0;
                        done    <= 1'b1;
                    end
                end else if (brownout && !next[128]) begin
                    // power returns ahead of the next powered sample (half a sample period in
                    // real time), so the core has restarted and sent RESET by that sample's slot
                    if (elastic || tick >= (clks_per_sample >> 1)) brownout <= 1'b0;
                end else if (slot) begin
                    tick     <= 32'd0;
                    streamed <= streamed + 32'd1;
                    if (next[128]) begin
                        brownout <= 1'b1;
                    end else begin
                        if (!ready) overruns <= overruns + 32'd1;
                        strobe <= 1'b1;
                        codes  <= next[127:0];
                    end
                end
            end
        end
    end
endmodule

`default_nettype wire
