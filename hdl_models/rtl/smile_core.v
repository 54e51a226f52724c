// smile_core: the digital core of the sensor chip, assembled (chip_sim/core/reference.py for the
// detectors, chip_sim/core/host.py for the host port, ../shared/ICD.md for frames).
//
// Clock 921.6 kHz (README.md): the UART runs at CLKS_PER_BIT = 8 → 115 200 baud.
//
// Reset domains
//   por_n        power-on reset of everything, the register file included (RESET reason 0).
//   i_brownout   high while the chip is unpowered: the core (detectors, sample index, event FIFO,
//                UARTs, SEQ) is held in reset; the register file and the reset reason sit in an
//                always-on retention domain and keep their values. On release: RESET reason 1.
//   COMMAND 0x01 restarts the core the same way once its ACK has left the chip (reason 2).
//   Sampling runs after every reset; COMMAND STOP makes the core ignore samples until START.
//
// Sample interface (the analog front end's side)
//   i_sample_valid  one-clock strobe with i_codes (channel k at [16k+15:16k], ICD codes) while
//                   o_sample_ready is high. A sample takes about 50 clocks plus the fall windows'
//                   reads (<= 260 clocks) at an impact, far below the 9216 clocks of a 100 Hz sample.
//   Disabled channels (CHANNEL_ENABLE) read as NO_DATA.
//
// Host-port sample replay (docs/host-replay.md, chip_sim/core/host.py): with STIM_SOURCE = 1 the
//   core takes its samples from STIM_DEPTH rows of a stimulus FIFO instead of i_codes (front-end
//   strobes are ignored), one as soon as the core is idle. STIMULUS frames fill it: host_rx strobes
//   every payload byte into a staging buffer; when it announces a good STIMULUS frame the request
//   handler answers it (ACK, or NACK 2 / 5 / 6 as the golden host port) and, on ACK, copies its
//   rows into the FIFO, one per clock, holding host_rx meanwhile so that the next frame cannot
//   overwrite the staging buffer. A reset empties the FIFO; the next expected sample is 0.
//
// Per sample i (since the last reset) the events decided are queued in canonical order
// (chip_sim/core/events.py ORDER): FAULT_SATURATION, FAULT_STUCK, FAULT_DROPOUT (each by channel),
// WALK_END, STEP, WALK_START, FALL, OVERLOAD_END, OVERLOAD_START, TEMP_HIGH, then a STATUS after
// every STATUS_PERIOD_SAMPLES-th sample. The RESET event opens every epoch at sample index 0.
//
// Event FIFO: FIFO_DEPTH entries (a power of two). An event finding FIFO_DEPTH - 1 entries is
// dropped and counted (EVENTS_DROPPED, and STATUS events_dropped = its low 16 bits); the last slot
// is kept for STATUS, so a STATUS is lost only if the FIFO is entirely full (o_status_lost counts
// those; at the real sample rate the UART drains ~7 frames per sample, so it does not happen).
//
// Transmitter: answers to host frames (ACK / NACK / REG_VALUE, up to RESP_DEPTH waiting) go first,
// then the event FIFO; one SEQ counter for everything the chip sends, restarting at 0 with the
// RESET event.
//
// Observation outputs for the test harness (not chip pins): o_idle (nothing queued or in flight
// and no sample in progress), o_fifo_full, o_events_dropped, o_status_lost, o_sampling,
// o_resp_dropped (host frames that found the answer queue full), o_crc_errors.
`default_nettype none

module smile_core #(
    parameter integer CLKS_PER_BIT = 8,
    parameter integer FIFO_DEPTH   = 32,
    parameter integer RESP_DEPTH   = 4,
    parameter integer STIM_DEPTH   = 64   // chip_sim.core.host.STIMULUS_BUFFER_SAMPLES
) (
    input  wire         clk,
    input  wire         por_n,
    input  wire         i_brownout,
    // samples
    input  wire         i_sample_valid,
    input  wire [127:0] i_codes,
    output wire         o_sample_ready,
    // UART
    input  wire         i_rxd,
    output wire         o_txd,
    // observation
    output wire         o_idle,
    output wire         o_fifo_full,
    output wire [31:0]  o_events_dropped,
    output wire [15:0]  o_status_lost,
    output wire         o_sampling,
    output wire [15:0]  o_resp_dropped,
    output wire [15:0]  o_crc_errors
);
    localparam [15:0] NO_DATA = 16'h8000;
    localparam [7:0] T_EVENT = 8'h01, T_STATUS = 8'h03, T_REG_WRITE = 8'h10, T_REG_READ = 8'h11,
                     T_REG_VALUE = 8'h12, T_STIMULUS = 8'h13, T_COMMAND = 8'h20, T_ACK = 8'h7E,
                     T_NACK = 8'h7F;
    localparam [7:0] C_STEP = 8'h01, C_FALL = 8'h02, C_OV_START = 8'h03, C_OV_END = 8'h04,
                     C_WALK_START = 8'h05, C_WALK_END = 8'h06, C_SAT = 8'h10, C_STUCK = 8'h11,
                     C_DROP = 8'h12, C_TEMP = 8'h20, C_RESET = 8'h30;
    localparam integer FAW = $clog2(FIFO_DEPTH);
    localparam integer RAW = $clog2(RESP_DEPTH);
    localparam integer SAW = $clog2(STIM_DEPTH);

    // =========================================================================================
    // retention domain: register file, reset reason, the command-reset pulse
    // =========================================================================================
    reg        soft_rst;       // one-clock core reset requested by COMMAND RESET
    wire       core_rst_n = por_n & ~i_brownout & ~soft_rst;
    reg  [1:0] reset_reason;   // of the epoch that starts at the next core-reset release
    wire       soft_rst_req;   // from the core domain: the ACK of a COMMAND RESET is out

    always @(posedge clk or negedge por_n) begin
        if (!por_n) begin
            soft_rst     <= 1'b0;
            reset_reason <= 2'd0;
        end else begin
            soft_rst <= soft_rst_req && !soft_rst;
            if (i_brownout) reset_reason <= 2'd1;
            else if (soft_rst_req) reset_reason <= 2'd2;
        end
    end

    reg         reg_wr, reg_rd;
    reg  [7:0]  reg_addr;
    reg  [31:0] reg_wdata;
    wire [2:0]  reg_status;
    wire [31:0] reg_rdata;
    wire [31:0] r_sample_rate_hz, r_channel_enable, r_stream_mask, r_status_period;
    wire [31:0] r_stim_source;
    wire [31:0] r_sharp_min, r_adapt_shift, r_refractory, r_walk_start, r_walk_gap;
    wire [31:0] r_impact, r_settle, r_still, r_still_mg, r_cos, r_ref_delay, r_ref_samples;
    wire [31:0] r_wait, r_rate_dps, r_rate_samples;
    wire [31:0] r_ov_limit, r_ov_min, r_ov_hyst, r_temp_limit, r_temp_hyst, r_temp_min;
    wire [31:0] r_sat, r_stuck, r_stuck_mask, r_dropout;
    wire [31:0] r_step_mode, r_gyro_axis, r_swing_min, r_hs_level, r_stance_min, r_half_stride;
    wire [31:0] r_max_stride, r_contra_slack, r_gyro_delay, r_trunk_fast, r_trunk_slow;
    reg  [31:0] step_count;
    reg  [7:0]  fault_flags;
    reg  [31:0] events_dropped;
    reg  [31:0] sample_idx;    // index of the next sample since the last reset

    regfile u_regs (
        .clk                    (clk),
        .rst_n                  (por_n),
        .wr_en                  (reg_wr),
        .rd_en                  (reg_rd),
        .addr                   (reg_addr),
        .wdata                  (reg_wdata),
        .status                 (reg_status),
        .rdata                  (reg_rdata),
        .live_step_count        (step_count),
        .live_fault_flags       ({24'd0, fault_flags}),
        .live_events_dropped    (events_dropped),
        .live_sample_index      (sample_idx),
        .sample_rate_hz         (r_sample_rate_hz),
        .channel_enable         (r_channel_enable),
        .stream_mask            (r_stream_mask),
        .status_period_samples  (r_status_period),
        .stim_source            (r_stim_source),
        .step_sharp_min_mg      (r_sharp_min),
        .step_adapt_shift       (r_adapt_shift),
        .step_refractory_samples(r_refractory),
        .step_mode              (r_step_mode),
        .step_gyro_axis         (r_gyro_axis),
        .step_swing_min_dps     (r_swing_min),
        .step_hs_level_dps      (r_hs_level),
        .step_stance_min        (r_stance_min),
        .step_half_stride_samples(r_half_stride),
        .step_max_stride_samples(r_max_stride),
        .step_contra_slack_samples(r_contra_slack),
        .step_gyro_delay_samples(r_gyro_delay),
        .step_trunk_fast_shift  (r_trunk_fast),
        .step_trunk_slow_shift  (r_trunk_slow),
        .walk_start_steps       (r_walk_start),
        .walk_max_gap_samples   (r_walk_gap),
        .fall_impact_mg         (r_impact),
        .fall_settle_samples    (r_settle),
        .fall_still_samples     (r_still),
        .fall_still_mg          (r_still_mg),
        .fall_max_cos_permille  (r_cos),
        .fall_ref_delay_samples (r_ref_delay),
        .fall_ref_samples       (r_ref_samples),
        .fall_wait_samples      (r_wait),
        .fall_rate_dps          (r_rate_dps),
        .fall_rate_samples      (r_rate_samples),
        .overload_limit         (r_ov_limit),
        .overload_min_samples   (r_ov_min),
        .overload_hyst          (r_ov_hyst),
        .temp_high_limit        (r_temp_limit),
        .temp_hyst              (r_temp_hyst),
        .temp_min_samples       (r_temp_min),
        .fault_sat_samples      (r_sat),
        .fault_stuck_samples    (r_stuck),
        .fault_stuck_mask       (r_stuck_mask),
        .fault_dropout_samples  (r_dropout)
    );

    // =========================================================================================
    // core domain: detectors
    // =========================================================================================
    localparam [3:0] S_RESET = 4'd0, S_IDLE = 4'd1, S_STEP = 4'd2, S_WALK = 4'd3,
                     S_FALL = 4'd4, S_FALL_WAIT = 4'd5, S_EMIT = 4'd6, S_STATUS = 4'd7;
    reg  [3:0]   state;
    reg          sampling;
    reg  [127:0] cur;          // the sample being processed, disabled channels as NO_DATA
    reg          det_strobe;   // starts step, fault, overload and temperature detectors
    reg          fall_strobe;
    reg  [31:0]  idx;          // index of the sample being processed

    assign o_sample_ready = (state == S_IDLE);

    assign o_sampling     = sampling;
    // the sample source: the front end's strobe, or the stimulus FIFO (STIM_SOURCE = 1)
    wire         stim_mode = r_stim_source[0];
    wire [SAW:0] s_count;
    wire [127:0] s_head;
    wire         have_sample = stim_mode ? (s_count != 0) : i_sample_valid;
    wire [127:0] sample_in = stim_mode ? s_head : i_codes;
    wire take_sample = (state == S_IDLE) && have_sample && sampling;
    wire s_pop = take_sample && stim_mode;

    wire [127:0] enable_mask;
    genvar g;
    generate
        for (g = 0; g < 8; g = g + 1) begin : g_mask
            assign enable_mask[16*g +: 16] = {16{r_channel_enable[g]}};
        end
    endgenerate
    wire [127:0] masked = (sample_in & enable_mask) | ({8{NO_DATA}} & ~enable_mask);

    wire        step_ready, step_pulse;
    wire [31:0] step_index, step_total;
    wire [15:0] mag;
    step_detector u_step (
        .clk                      (clk),
        .rst_n                    (core_rst_n),
        .i_valid                  (det_strobe),
        .i_ax                     (cur[15:0]),
        .i_ay                     (cur[31:16]),
        .i_az                     (cur[47:32]),
        .i_step_sharp_min_mg      (r_sharp_min),
        .i_step_adapt_shift       (r_adapt_shift),
        .i_step_refractory_samples(r_refractory),
        .i_gx                     (cur[63:48]),
        .i_gy                     (cur[79:64]),
        .i_gz                     (cur[95:80]),
        .i_gyro_enable            (r_channel_enable[5:3]),
        .i_step_mode              (r_step_mode),
        .i_step_gyro_axis         (r_gyro_axis),
        .i_step_swing_min_dps     (r_swing_min),
        .i_step_hs_level_dps      (r_hs_level),
        .i_step_stance_min        (r_stance_min),
        .i_step_half_stride_samples(r_half_stride),
        .i_step_max_stride_samples(r_max_stride),
        .i_step_contra_slack_samples(r_contra_slack),
        .i_step_gyro_delay_samples(r_gyro_delay),
        .i_step_trunk_fast_shift  (r_trunk_fast),
        .i_step_trunk_slow_shift  (r_trunk_slow),
        .o_ready                  (step_ready),
        .o_step                   (step_pulse),
        .o_step_index             (step_index),
        .o_step_count             (step_total),
        .o_mag                    (mag)
    );

    wire [7:0] f_sat, f_stuck, f_drop, f_flags;
    fault_detector u_fault (
        .clk              (clk),
        .rst_n            (core_rst_n),
        .i_valid          (det_strobe),
        .i_codes          (cur),
        .i_enable         (r_channel_enable[7:0]),
        .i_sat_samples    (r_sat),
        .i_stuck_samples  (r_stuck),
        .i_stuck_mask     (r_stuck_mask[7:0]),
        .i_dropout_samples(r_dropout),
        .o_sat            (f_sat),
        .o_stuck          (f_stuck),
        .o_drop           (f_drop),
        .o_flags          (f_flags)
    );

    wire        ov_event;
    wire [7:0]  ov_code;
    wire [31:0] ov_index, ov_value;
    overload_detector u_overload (
        .clk                   (clk),
        .rst_n                 (core_rst_n),
        .i_valid               (det_strobe),
        .i_load                (cur[111:96]),
        .i_overload_limit      (r_ov_limit),
        .i_overload_min_samples(r_ov_min),
        .i_overload_hyst       (r_ov_hyst),
        .o_event               (ov_event),
        .o_code                (ov_code),
        .o_index               (ov_index),
        .o_value               (ov_value)
    );

    wire        tmp_event;
    wire [7:0]  tmp_code;
    wire [31:0] tmp_index, tmp_value;
    temp_detector u_temp (
        .clk               (clk),
        .rst_n             (core_rst_n),
        .i_valid           (det_strobe),
        .i_temp            (cur[127:112]),
        .i_temp_high_limit (r_temp_limit),
        .i_temp_hyst       (r_temp_hyst),
        .i_temp_min_samples(r_temp_min),
        .o_event           (tmp_event),
        .o_code            (tmp_code),
        .o_index           (tmp_index),
        .o_value           (tmp_value)
    );

    wire        fall_ready, fall_hit;
    wire [15:0] fall_peak;
    fall_detector u_fall (
        .clk                (clk),
        .rst_n              (core_rst_n),
        .i_valid            (fall_strobe),
        .i_ax               (cur[15:0]),
        .i_ay               (cur[31:16]),
        .i_az               (cur[47:32]),
        .i_gx               (cur[63:48]),
        .i_gy               (cur[79:64]),
        .i_gz               (cur[95:80]),
        .i_mag              (mag),
        .i_impact_mg        (r_impact),
        .i_settle_samples   (r_settle),
        .i_still_samples    (r_still),
        .i_still_mg         (r_still_mg),
        .i_max_cos_permille (r_cos),
        .i_ref_delay_samples(r_ref_delay),
        .i_ref_samples      (r_ref_samples),
        .i_wait_samples     (r_wait),
        .i_rate_dps         (r_rate_dps),
        .i_rate_samples     (r_rate_samples),
        .i_gyro_on          (|r_channel_enable[5:3]),
        .o_ready            (fall_ready),
        .o_fall             (fall_hit),
        .o_peak_mg          (fall_peak)
    );

    // --- event capture of one sample, then the walking-bout rule ------------------------------
    reg         got_step, got_ov, got_tmp;
    reg  [7:0]  cap_ov_code;
    reg  [31:0] cap_ov_value, cap_tmp_value, cap_step_count;
    reg         walk_end, walk_start;
    reg         bout_active, have_step;
    reg  [31:0] bout_steps, run_steps, last_step, walk_end_value;
    reg  [31:0] status_count;  // samples since the last STATUS

    wire [31:0] since_step = idx - last_step;
    wire        bout_timeout = bout_active && (since_step == r_walk_gap + 32'd1);
    wire        long_gap = !have_step || since_step > r_walk_gap;
    wire [31:0] run_next = long_gap ? 32'd1 : run_steps + 32'd1;

    // pending events of this sample, bit = canonical rank: 0-7 FAULT_SATURATION by channel,
    // 8-15 FAULT_STUCK, 16-23 FAULT_DROPOUT, 24 WALK_END, 25 STEP, 26 WALK_START, 27 FALL,
    // 28 OVERLOAD_END, 29 OVERLOAD_START, 30 TEMP_HIGH
    reg  [30:0] pend;
    reg  [4:0]  pend_bit;
    reg         pend_any;
    integer     k;
    always @(*) begin
        pend_bit = 5'd0;
        pend_any = 1'b0;
        for (k = 30; k >= 0; k = k - 1) begin
            if (pend[k]) begin
                pend_bit = k[4:0];
                pend_any = 1'b1;
            end
        end
    end

    reg  [7:0]  emit_code;
    reg  [31:0] emit_value;
    always @(*) begin
        emit_value = 32'd0;
        if (pend_bit < 5'd24) begin
            emit_code  = pend_bit < 5'd8 ? C_SAT : (pend_bit < 5'd16 ? C_STUCK : C_DROP);
            emit_value = {29'd0, pend_bit[2:0]};
        end else begin
            case (pend_bit)
                5'd24:   begin emit_code = C_WALK_END;   emit_value = walk_end_value; end
                5'd25:   begin emit_code = C_STEP;       emit_value = cap_step_count; end
                5'd26:   emit_code = C_WALK_START;
                5'd27:   begin emit_code = C_FALL;       emit_value = {16'd0, fall_peak}; end
                5'd28:   begin emit_code = C_OV_END;     emit_value = cap_ov_value; end
                5'd29:   begin emit_code = C_OV_START;   emit_value = cap_ov_value; end
                default: begin emit_code = C_TEMP;       emit_value = cap_tmp_value; end
            endcase
        end
    end

    // --- event FIFO -----------------------------------------------------------------------------
    // entry: {is_status, code, index, value, extra}; STATUS: value = step_count,
    // extra = {fault_flags u16, events_dropped u16}
    localparam integer EW = 1 + 8 + 32 + 32 + 32;
    wire [FAW:0]   f_count;
    reg            push;
    reg  [EW-1:0]  push_data;
    wire           pop;
    // the level counts a push of the previous clock, not yet in f_count
    wire [FAW:0]   f_level = f_count + {{FAW{1'b0}}, push};
    localparam integer EV_LIMIT_I = FIFO_DEPTH - 1;
    localparam [FAW:0] EV_LIMIT = EV_LIMIT_I[FAW:0];
    localparam [FAW:0] ST_LIMIT = FIFO_DEPTH[FAW:0];
    wire           ev_room = f_level < EV_LIMIT;
    wire           st_room = f_level < ST_LIMIT;
    reg  [15:0]    status_lost;
    assign o_fifo_full      = !ev_room;
    assign o_events_dropped = events_dropped;
    assign o_status_lost    = status_lost;

    // --- the sample sequencer -------------------------------------------------------------------
    always @(posedge clk or negedge core_rst_n) begin
        if (!core_rst_n) begin
            state          <= S_RESET;
            cur            <= {8{NO_DATA}};
            det_strobe     <= 1'b0;
            fall_strobe    <= 1'b0;
            idx            <= 32'd0;
            sample_idx     <= 32'd0;
            got_step       <= 1'b0;
            got_ov         <= 1'b0;
            got_tmp        <= 1'b0;
            cap_ov_code    <= 8'd0;
            cap_ov_value   <= 32'd0;
            cap_tmp_value  <= 32'd0;
            cap_step_count <= 32'd0;
            walk_end       <= 1'b0;
            walk_start     <= 1'b0;
            bout_active    <= 1'b0;
            have_step      <= 1'b0;
            bout_steps     <= 32'd0;
            run_steps      <= 32'd0;
            last_step      <= 32'd0;
            walk_end_value <= 32'd0;
            status_count   <= 32'd0;
            pend           <= 31'd0;
            push           <= 1'b0;
            push_data      <= {EW{1'b0}};
            events_dropped <= 32'd0;
            status_lost    <= 16'd0;
            step_count     <= 32'd0;
            fault_flags    <= 8'd0;
        end else begin
            det_strobe  <= 1'b0;
            fall_strobe <= 1'b0;
            push        <= 1'b0;
            if (ov_event) begin
                got_ov       <= 1'b1;
                cap_ov_code  <= ov_code;
                cap_ov_value <= ov_value;
            end
            if (tmp_event) begin
                got_tmp       <= 1'b1;
                cap_tmp_value <= tmp_value;
            end
            case (state)
                S_RESET: begin  // the epoch opens with RESET (the FIFO is empty after a reset)
                    push      <= 1'b1;
                    push_data <= {1'b0, C_RESET, 32'd0, 30'd0, reset_reason, 32'd0};
                    state     <= S_IDLE;
                end
                S_IDLE: if (take_sample) begin
                    cur        <= masked;
                    idx        <= sample_idx;
                    sample_idx <= sample_idx + 32'd1;
                    det_strobe <= 1'b1;
                    got_step   <= 1'b0;
                    got_ov     <= 1'b0;
                    got_tmp    <= 1'b0;
                    state      <= S_STEP;
                end
                S_STEP: if (!det_strobe && step_ready) begin  // the STEP decision is out
                    got_step       <= step_pulse;
                    cap_step_count <= step_total;
                    state          <= S_WALK;
                end
                S_WALK: begin  // chip_sim/core/reference.py "walking-bout timeout, then steps"
                    walk_end   <= bout_timeout;
                    walk_start <= 1'b0;
                    if (bout_timeout) walk_end_value <= bout_steps;
                    if (got_step) begin
                        run_steps <= run_next;
                        last_step <= idx;
                        have_step <= 1'b1;
                        if (bout_active && !bout_timeout) begin
                            bout_steps <= bout_steps + 32'd1;
                        end else if (run_next >= r_walk_start) begin
                            bout_active <= 1'b1;
                            bout_steps  <= run_next;
                            walk_start  <= 1'b1;
                        end else begin
                            bout_active <= 1'b0;
                        end
                    end else if (bout_timeout) begin
                        bout_active <= 1'b0;
                    end
                    fall_strobe <= 1'b1;
                    state       <= S_FALL;
                end
                S_FALL: state <= S_FALL_WAIT;  // the fall detector takes the strobe
                S_FALL_WAIT: if (fall_ready) begin
                    pend <= {got_tmp,
                             got_ov && cap_ov_code == C_OV_START,
                             got_ov && cap_ov_code == C_OV_END,
                             fall_hit, walk_start, got_step, walk_end,
                             f_drop, f_stuck, f_sat};
                    step_count  <= cap_step_count;
                    fault_flags <= f_flags;
                    state       <= S_EMIT;
                end
                S_EMIT: if (pend_any) begin
                    pend[pend_bit] <= 1'b0;
                    if (ev_room) begin
                        push      <= 1'b1;
                        push_data <= {1'b0, emit_code, idx, emit_value, 32'd0};
                    end else begin
                        events_dropped <= events_dropped + 32'd1;
                    end
                end else begin
                    state <= S_STATUS;
                end
                default: begin  // S_STATUS
                    if (status_count + 32'd1 >= r_status_period) begin
                        status_count <= 32'd0;
                        if (st_room) begin
                            push      <= 1'b1;
                            push_data <= {1'b1, 8'd0, idx, step_count, 8'd0, fault_flags,
                                          events_dropped[15:0]};
                        end else begin
                            status_lost <= status_lost + 16'd1;
                        end
                    end else begin
                        status_count <= status_count + 32'd1;
                    end
                    state <= S_IDLE;
                end
            endcase
        end
    end

    wire [EW-1:0] head;
    sync_fifo #(.WIDTH(EW), .DEPTH(FIFO_DEPTH)) u_events (
        .clk    (clk),
        .rst_n  (core_rst_n),
        .i_push (push),
        .i_data (push_data),
        .i_pop  (pop),
        .o_head (head),
        .o_count(f_count)
    );

    // =========================================================================================
    // core domain: host port
    // =========================================================================================
    wire        rx_frame;
    wire [7:0]  rx_type, rx_seq, rx_len;
    wire [39:0] rx_payload;
    wire [15:0] rx_bytes_dropped;
    wire        rx_pl_valid, rx_pl_two;
    wire [7:0]  rx_pl_idx;
    wire [15:0] rx_pl_data;
    wire        stim_copy;
    host_rx #(.CLKS_PER_BIT(CLKS_PER_BIT)) u_host_rx (
        .clk            (clk),
        .rst_n          (core_rst_n),
        .i_rxd          (i_rxd),
        .i_hold         (stim_copy),
        .o_frame        (rx_frame),
        .o_type         (rx_type),
        .o_seq          (rx_seq),
        .o_len          (rx_len),
        .o_payload      (rx_payload),
        .o_pl_valid     (rx_pl_valid),
        .o_pl_two       (rx_pl_two),
        .o_pl_idx       (rx_pl_idx),
        .o_pl_data      (rx_pl_data),
        .o_crc_errors   (o_crc_errors),
        .o_bytes_dropped(rx_bytes_dropped)
    );

    // STIMULUS staging: every payload byte host_rx reads, by index (rows start at byte 5)
    reg [7:0] stage [0:255];
    always @(posedge clk) begin
        if (rx_pl_valid) begin
            stage[rx_pl_idx] <= rx_pl_data[7:0];
            if (rx_pl_two) stage[rx_pl_idx + 8'd1] <= rx_pl_data[15:8];
        end
    end

    reg          s_push;
    reg  [127:0] s_push_data;
    sync_fifo #(.WIDTH(128), .DEPTH(STIM_DEPTH)) u_stimulus (
        .clk    (clk),
        .rst_n  (core_rst_n),
        .i_push (s_push),
        .i_data (s_push_data),
        .i_pop  (s_pop),
        .o_head (s_head),
        .o_count(s_count)
    );

    // answer queue: {type, len, payload 5 bytes}
    localparam integer RW_ = 8 + 8 + 40;
    wire [RAW:0]   r_count;
    wire [RW_-1:0] rhead;
    reg            r_push;
    reg  [RW_-1:0] r_push_data;
    wire           r_pop;
    localparam integer R_LIMIT_I = RESP_DEPTH - 1;
    localparam [RAW:0] R_LIMIT = R_LIMIT_I[RAW:0];
    reg  [15:0]    resp_dropped;
    assign o_resp_dropped = resp_dropped;

    sync_fifo #(.WIDTH(RW_), .DEPTH(RESP_DEPTH)) u_answers (
        .clk    (clk),
        .rst_n  (core_rst_n),
        .i_push (r_push),
        .i_data (r_push_data),
        .i_pop  (r_pop),
        .o_head (rhead),
        .o_count(r_count)
    );

    // request handling: a frame is answered within 3 clocks (register access, then the answer)
    localparam [1:0] H_IDLE = 2'd0, H_REG = 2'd1, H_ANSWER = 2'd2, H_STIM = 2'd3;
    localparam integer STIM_ROWS_MAX = 15;  // chip_sim.icd.STIMULUS_MAX_ROWS
    reg  [1:0]  h_state;
    reg  [7:0]  h_type, h_seq, h_addr;
    reg         reset_pending;
    wire [7:0]  rx_cmd = rx_payload[7:0];
    // STIMULUS: first_sample_index u32, count u8, count rows of 16 bytes
    wire [31:0] st_first = rx_payload[31:0];
    wire [7:0]  st_count = rx_payload[39:32];
    wire        st_len_ok = rx_len >= 8'd5 && st_count >= 8'd1
                            && st_count <= STIM_ROWS_MAX[7:0]
                            && {1'b0, rx_len} == 9'd5 + {st_count[4:0], 4'b0000};
    reg  [31:0] st_next;       // the sample index the next STIMULUS frame must start at
    wire [32:0] st_end = {1'b0, st_first} + {25'd0, st_count};
    wire        st_repeat = st_end <= {1'b0, st_next};
    // STIM_DEPTH <= 128: the free rows fit 9 bits
    wire [8:0]  st_free = STIM_DEPTH[8:0] - {{(8 - SAW){1'b0}}, s_count};
    wire        st_fits = {1'b0, st_count} <= st_free;
    reg  [3:0]  st_row;        // the row being copied
    reg  [3:0]  st_last;
    assign stim_copy = (h_state == H_STIM);
    wire        len_ok = (rx_type == T_STIMULUS) ? st_len_ok
                       : (rx_type == T_REG_WRITE) ? rx_len == 8'd5 : rx_len == 8'd1;
    wire        known  = rx_type == T_REG_WRITE || rx_type == T_REG_READ || rx_type == T_COMMAND
                         || rx_type == T_STIMULUS;

    // row r of the staging buffer as 8 channels, channel k at [16k+15:16k] (little-endian i16)
    function [127:0] stage_row(input [3:0] r);
        integer b;
        reg [7:0] base;
        begin
            base = 8'd5 + {r, 4'b0000};
            for (b = 0; b < 16; b = b + 1)
                stage_row[8*b +: 8] = stage[base + b[7:0]];
        end
    endfunction

    function [RW_-1:0] ack(input [7:0] t, input [7:0] s);
        ack = {T_ACK, 8'd2, 24'd0, s, t};
    endfunction
    function [RW_-1:0] nack(input [7:0] t, input [7:0] s, input [7:0] reason);
        nack = {T_NACK, 8'd3, 16'd0, reason, s, t};
    endfunction

    always @(posedge clk or negedge core_rst_n) begin
        if (!core_rst_n) begin
            h_state       <= H_IDLE;
            h_type        <= 8'd0;
            h_seq         <= 8'd0;
            h_addr        <= 8'd0;
            reg_wr        <= 1'b0;
            reg_rd        <= 1'b0;
            reg_addr      <= 8'd0;
            reg_wdata     <= 32'd0;
            r_push        <= 1'b0;
            r_push_data   <= {RW_{1'b0}};
            resp_dropped  <= 16'd0;
            reset_pending <= 1'b0;
            sampling      <= 1'b1;
            st_next       <= 32'd0;
            st_row        <= 4'd0;
            st_last       <= 4'd0;
            s_push        <= 1'b0;
            s_push_data   <= 128'd0;
        end else begin
            reg_wr <= 1'b0;
            reg_rd <= 1'b0;
            r_push <= 1'b0;
            s_push <= 1'b0;
            case (h_state)
                H_IDLE: if (rx_frame) begin
                    if (r_count >= R_LIMIT) begin  // the answer queue could overflow
                        resp_dropped <= resp_dropped + 16'd1;
                    end else if (!known) begin
                        r_push      <= 1'b1;
                        r_push_data <= nack(rx_type, rx_seq, 8'd1);
                    end else if (!len_ok) begin
                        r_push      <= 1'b1;
                        r_push_data <= nack(rx_type, rx_seq, 8'd2);
                    end else if (rx_type == T_STIMULUS) begin
                        r_push <= 1'b1;
                        if (!stim_mode || (!st_repeat && st_first != st_next)) begin
                            r_push_data <= nack(rx_type, rx_seq, 8'd5);
                        end else if (st_repeat) begin  // rows taken already: ACK, take none
                            r_push_data <= ack(rx_type, rx_seq);
                        end else if (!st_fits) begin
                            r_push_data <= nack(rx_type, rx_seq, 8'd6);
                        end else begin
                            r_push_data <= ack(rx_type, rx_seq);
                            st_next     <= st_end[31:0];
                            st_row      <= 4'd0;
                            st_last     <= st_count[3:0] - 4'd1;
                            h_state     <= H_STIM;
                        end
                    end else if (rx_type == T_COMMAND) begin
                        r_push <= 1'b1;
                        if (rx_cmd >= 8'd1 && rx_cmd <= 8'd3) begin
                            r_push_data <= ack(rx_type, rx_seq);
                            if (rx_cmd == 8'd1) reset_pending <= 1'b1;
                            if (rx_cmd == 8'd2) sampling <= 1'b1;
                            if (rx_cmd == 8'd3) sampling <= 1'b0;
                        end else begin
                            r_push_data <= nack(rx_type, rx_seq, 8'd5);
                        end
                    end else begin
                        reg_addr  <= rx_payload[7:0];
                        reg_wdata <= rx_payload[39:8];
                        reg_wr    <= rx_type == T_REG_WRITE;
                        reg_rd    <= rx_type == T_REG_READ;
                        h_type    <= rx_type;
                        h_seq     <= rx_seq;
                        h_addr    <= rx_payload[7:0];
                        h_state   <= H_REG;
                    end
                end
                H_REG: h_state <= H_ANSWER;  // the register file takes the access
                H_STIM: begin  // one row per clock into the stimulus FIFO (it has room)
                    s_push      <= 1'b1;
                    s_push_data <= stage_row(st_row);
                    st_row      <= st_row + 4'd1;
                    if (st_row == st_last) h_state <= H_IDLE;
                end
                default: begin  // H_ANSWER: the register file's status and data are valid
                    r_push <= 1'b1;
                    if (reg_status != 3'd0) r_push_data <= nack(h_type, h_seq, {5'd0, reg_status});
                    else if (h_type == T_REG_WRITE) r_push_data <= ack(h_type, h_seq);
                    else r_push_data <= {T_REG_VALUE, 8'd5, reg_rdata, h_addr};
                    h_state <= H_IDLE;
                end
            endcase
        end
    end

    // =========================================================================================
    // core domain: transmitter
    // =========================================================================================
    localparam [1:0] X_IDLE = 2'd0, X_START = 2'd1, X_PAYLOAD = 2'd2;
    reg  [1:0]  x_state;
    reg  [7:0]  x_type, x_seq, x_len, x_left, tx_seq;
    reg  [95:0] x_buf;
    wire        ftx_ready, ftx_pl_ready, ftx_len_err;
    wire        x_take = (x_state == X_PAYLOAD) && ftx_pl_ready;
    wire        from_resp = r_count != 0;
    wire        from_fifo = f_count != 0;
    assign pop   = (x_state == X_IDLE) && ftx_ready && !from_resp && from_fifo;
    assign r_pop = (x_state == X_IDLE) && ftx_ready && from_resp;
    wire tx_idle = (x_state == X_IDLE) && ftx_ready && !from_resp && !from_fifo;
    assign soft_rst_req = reset_pending && tx_idle && !r_push;  // the ACK is queued and sent
    assign o_idle = tx_idle && (state == S_IDLE) && (h_state == H_IDLE) && !r_push && !push
                    && !rx_frame && !s_push && !(stim_mode && sampling && s_count != 0);

    // SEQ of the next frame: the RESET event restarts the count
    wire head_is_reset = !head[EW-1] && head[EW-2 -: 8] == C_RESET;

    always @(posedge clk or negedge core_rst_n) begin
        if (!core_rst_n) begin
            x_state <= X_IDLE;
            x_type  <= 8'd0;
            x_seq   <= 8'd0;
            x_len   <= 8'd0;
            x_left  <= 8'd0;
            x_buf   <= 96'd0;
            tx_seq  <= 8'd0;
        end else begin
            case (x_state)
                X_IDLE: begin
                    if (r_pop) begin
                        x_type  <= rhead[RW_-1 -: 8];
                        x_len   <= rhead[RW_-9 -: 8];
                        x_buf   <= {56'd0, rhead[39:0]};
                        x_seq   <= tx_seq;
                        tx_seq  <= tx_seq + 8'd1;
                        x_state <= X_START;
                    end else if (pop) begin
                        if (head[EW-1]) begin  // STATUS: index, step_count, flags, dropped
                            x_type <= T_STATUS;
                            x_len  <= 8'd12;
                            x_buf  <= {head[15:0], head[31:16], head[63:32], head[95:64]};
                        end else begin         // EVENT: code, flags 0, index, value
                            x_type <= T_EVENT;
                            x_len  <= 8'd10;
                            x_buf  <= {16'd0, head[63:32], head[95:64], 8'd0, head[103:96]};
                        end
                        x_seq   <= head_is_reset ? 8'd0 : tx_seq;
                        tx_seq  <= head_is_reset ? 8'd1 : tx_seq + 8'd1;
                        x_state <= X_START;
                    end
                end
                X_START: begin  // frame_tx takes the header in this clock
                    x_left  <= x_len;
                    x_state <= X_PAYLOAD;
                end
                default: begin  // X_PAYLOAD
                    if (x_left == 8'd0) begin
                        x_state <= X_IDLE;
                    end else if (x_take) begin
                        x_buf  <= x_buf >> 8;
                        x_left <= x_left - 8'd1;
                        if (x_left == 8'd1) x_state <= X_IDLE;
                    end
                end
            endcase
        end
    end

    /* verilator lint_off PINCONNECTEMPTY */
    frame_tx #(.CLKS_PER_BIT(CLKS_PER_BIT)) u_frame_tx (
        .clk       (clk),
        .rst_n     (core_rst_n),
        .i_start   (x_state == X_START),
        .i_type    (x_type),
        .i_seq     (x_seq),
        .i_len     (x_len),
        .o_ready   (ftx_ready),
        .o_len_err (ftx_len_err),
        .i_pl_valid(x_state == X_PAYLOAD && x_left != 8'd0),
        .i_pl_data (x_buf[7:0]),
        .o_pl_ready(ftx_pl_ready),
        .o_txd     (o_txd)
    );
    /* verilator lint_on PINCONNECTEMPTY */

    // Signals the core does not use, collected so that lint stays meaningful: SAMPLE_RATE_HZ paces
    // the front end and STREAM_MASK the SAMPLES stream (neither is this core's, as in the golden
    // model); the upper bits of 8-bit masks; the detectors' own sample indices (the core keeps
    // one); the receiver's skipped-byte count; frame_tx's length error (LEN here is at most 12).
    /* verilator lint_off UNUSEDSIGNAL */
    wire unused_ok = &{1'b0, r_sample_rate_hz, r_channel_enable[31:8], r_stream_mask,
                       r_stim_source[31:1],
                       r_stuck_mask[31:8], step_index, ov_index, tmp_code, tmp_index,
                       rx_bytes_dropped, ftx_len_err};
    /* verilator lint_on UNUSEDSIGNAL */
endmodule

`default_nettype wire
