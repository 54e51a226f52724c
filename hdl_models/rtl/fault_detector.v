// fault_detector: the FAULT_SATURATION / FAULT_STUCK / FAULT_DROPOUT events and the STATUS
// fault_flags of the digital core (chip_sim/core/reference.py, run_epoch, "faults").
//
// Per sample, for each channel k with CHANNEL_ENABLE bit k set (a disabled channel is skipped
// entirely: its counters, previous code and flag keep their value, and it emits nothing):
//   c == NO_DATA (16'h8000): drop_run += 1, sat_run = 0, stuck_run = 0
//   else:                    drop_run = 0
//                            full = |c| >= FULL_SCALE[k]
//                            sat_run = full ? sat_run + 1 : 0
//                            stuck_run = full ? 0 : (c == prev_code ? stuck_run + 1 : 1)
//   prev_code = c                                     (NO_DATA too)
//   sat_run   == FAULT_SAT_SAMPLES                      -> FAULT_SATURATION (value k)
//   stuck_run == FAULT_STUCK_SAMPLES and STUCK_MASK[k]  -> FAULT_STUCK      (value k)
//   drop_run  == FAULT_DROPOUT_SAMPLES                  -> FAULT_DROPOUT    (value k)
//   flag[k] = sat_run >= FAULT_SAT_SAMPLES
//          or (STUCK_MASK[k] and stuck_run >= FAULT_STUCK_SAMPLES)
//          or drop_run >= FAULT_DROPOUT_SAMPLES
// FULL_SCALE = 16000, 16000, 16000, 20000, 20000, 20000, 32767, 32640 (chip_sim.icd CHANNELS).
// prev_code starts as NO_DATA after reset: it never equals a code that is compared with it, so the
// first valid code gives stuck_run = 1, as the model's "none".
//
// The run counters are 32-bit and saturate at 2^32 - 1 instead of wrapping; an event fires when
// the count reaches the register value (not again while a saturated count stays at 2^32 - 1), and
// the flags compare with >=, so both equal the model's unbounded counters for every 32-bit
// register value.
//
//   i_valid     one-clock sample strobe with i_codes (channel k at [16k+15:16k], disabled channels
//               already NO_DATA); every sample is decided in that clock (always ready)
//   i_enable, i_sat_samples, i_stuck_samples, i_stuck_mask, i_dropout_samples
//               the registers CHANNEL_ENABLE, FAULT_SAT_SAMPLES, FAULT_STUCK_SAMPLES,
//               FAULT_STUCK_MASK, FAULT_DROPOUT_SAMPLES (unsigned)
//   o_sat, o_stuck, o_drop   bit k: that event of channel k at this sample
//   o_flags     the fault flags after this sample (STATUS fault_flags)
// All outputs are updated on the clock edge that takes i_valid and hold until the next strobe.
`default_nettype none

module fault_detector (
    input  wire         clk,
    input  wire         rst_n,
    input  wire         i_valid,
    input  wire [127:0] i_codes,
    input  wire [7:0]   i_enable,
    input  wire [31:0]  i_sat_samples,
    input  wire [31:0]  i_stuck_samples,
    input  wire [7:0]   i_stuck_mask,
    input  wire [31:0]  i_dropout_samples,
    output reg  [7:0]   o_sat,
    output reg  [7:0]   o_stuck,
    output reg  [7:0]   o_drop,
    output reg  [7:0]   o_flags
);
    localparam [15:0] NO_DATA = 16'h8000;
    localparam [31:0] MAX = 32'hFFFF_FFFF;
    localparam [127:0] FULL_SCALE = {16'd32640, 16'd32767, 16'd20000, 16'd20000,
                                     16'd20000, 16'd16000, 16'd16000, 16'd16000};

    reg  [31:0] sat_run   [0:7];
    reg  [31:0] stuck_run [0:7];
    reg  [31:0] drop_run  [0:7];
    reg  [15:0] prev_code [0:7];

    // next state of every channel, as the model computes it when the channel is enabled
    reg  [31:0] sat_nx   [0:7];
    reg  [31:0] stuck_nx [0:7];
    reg  [31:0] drop_nx  [0:7];
    reg  [7:0]  sat_ev, stuck_ev, drop_ev, flag_nx;

    reg  [15:0] c, fs, mag;
    reg         full;
    integer     k;

    always @* begin
        for (k = 0; k < 8; k = k + 1) begin
            c   = i_codes[16*k +: 16];
            fs  = FULL_SCALE[16*k +: 16];
            mag = c[15] ? (~c + 16'd1) : c;  // |c| (c is never -32768 here)
            full = mag >= fs;
            if (c == NO_DATA) begin
                drop_nx[k]  = (drop_run[k] == MAX) ? MAX : drop_run[k] + 32'd1;
                sat_nx[k]   = 32'd0;
                stuck_nx[k] = 32'd0;
            end else begin
                drop_nx[k]  = 32'd0;
                sat_nx[k]   = !full ? 32'd0
                            : (sat_run[k] == MAX) ? MAX : sat_run[k] + 32'd1;
                stuck_nx[k] = full ? 32'd0
                            : (c != prev_code[k]) ? 32'd1
                            : (stuck_run[k] == MAX) ? MAX : stuck_run[k] + 32'd1;
            end
            // == on the unbounded count: a saturated count that stays at MAX is not a new hit
            sat_ev[k]   = sat_nx[k] == i_sat_samples
                          && !(sat_run[k] == MAX && sat_nx[k] == MAX);
            stuck_ev[k] = i_stuck_mask[k] && stuck_nx[k] == i_stuck_samples
                          && !(stuck_run[k] == MAX && stuck_nx[k] == MAX);
            drop_ev[k]  = drop_nx[k] == i_dropout_samples
                          && !(drop_run[k] == MAX && drop_nx[k] == MAX);
            flag_nx[k]  = sat_nx[k] >= i_sat_samples
                          || (i_stuck_mask[k] && stuck_nx[k] >= i_stuck_samples)
                          || drop_nx[k] >= i_dropout_samples;
        end
    end

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            for (k = 0; k < 8; k = k + 1) begin
                sat_run[k]   <= 32'd0;
                stuck_run[k] <= 32'd0;
                drop_run[k]  <= 32'd0;
                prev_code[k] <= NO_DATA;
            end
            o_sat   <= 8'd0;
            o_stuck <= 8'd0;
            o_drop  <= 8'd0;
            o_flags <= 8'd0;
        end else if (i_valid) begin
            for (k = 0; k < 8; k = k + 1) begin
                if (i_enable[k]) begin
                    sat_run[k]   <= sat_nx[k];
                    stuck_run[k] <= stuck_nx[k];
                    drop_run[k]  <= drop_nx[k];
                    prev_code[k] <= i_codes[16*k +: 16];
                    o_flags[k]   <= flag_nx[k];
                end
            end
            o_sat   <= sat_ev & i_enable;
            o_stuck <= stuck_ev & i_enable;
            o_drop  <= drop_ev & i_enable;
        end
    end
endmodule

`default_nettype wire
