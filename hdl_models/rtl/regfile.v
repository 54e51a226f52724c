// GENERATED from chip_sim/spec/registers.yaml by hdl_models/gen_regfile.py - do not edit.
// Register file of the digital core (ICD section 3): REG_WRITE / REG_READ with the NACK
// reasons of the ICD: 3 unknown register, 4 read-only,
// 5 value out of range (a refused write changes nothing). status 0 = ACK.
`default_nettype none
module regfile (
    input  wire        clk,
    input  wire        rst_n,
    input  wire        wr_en,
    input  wire        rd_en,
    input  wire [7:0]  addr,
    input  wire [31:0] wdata,
    output reg  [2:0]  status,   // valid the cycle after wr_en or rd_en
    output reg  [31:0] rdata,
    input  wire [31:0] live_step_count,
    input  wire [31:0] live_fault_flags,
    input  wire [31:0] live_events_dropped,
    input  wire [31:0] live_sample_index,
    output reg  [31:0] sample_rate_hz,
    output reg  [31:0] channel_enable,
    output reg  [31:0] stream_mask,
    output reg  [31:0] status_period_samples,
    output reg  [31:0] stim_source,
    output reg  [31:0] step_sharp_min_mg,
    output reg  [31:0] step_adapt_shift,
    output reg  [31:0] step_refractory_samples,
    output reg  [31:0] step_mode,
    output reg  [31:0] step_gyro_axis,
    output reg  [31:0] step_swing_min_dps,
    output reg  [31:0] step_hs_level_dps,
    output reg  [31:0] step_stance_min,
    output reg  [31:0] step_half_stride_samples,
    output reg  [31:0] step_max_stride_samples,
    output reg  [31:0] step_contra_slack_samples,
    output reg  [31:0] step_gyro_delay_samples,
    output reg  [31:0] step_trunk_fast_shift,
    output reg  [31:0] step_trunk_slow_shift,
    output reg  [31:0] walk_start_steps,
    output reg  [31:0] walk_max_gap_samples,
    output reg  [31:0] fall_impact_mg,
    output reg  [31:0] fall_settle_samples,
    output reg  [31:0] fall_still_samples,
    output reg  [31:0] fall_still_mg,
    output reg  [31:0] fall_max_cos_permille,
    output reg  [31:0] fall_ref_delay_samples,
    output reg  [31:0] fall_ref_samples,
    output reg  [31:0] fall_wait_samples,
    output reg  [31:0] fall_rate_dps,
    output reg  [31:0] fall_rate_samples,
    output reg  [31:0] overload_limit,
    output reg  [31:0] overload_min_samples,
    output reg  [31:0] overload_hyst,
    output reg  [31:0] temp_high_limit,
    output reg  [31:0] temp_hyst,
    output reg  [31:0] temp_min_samples,
    output reg  [31:0] fault_sat_samples,
    output reg  [31:0] fault_stuck_samples,
    output reg  [31:0] fault_stuck_mask,
    output reg  [31:0] fault_dropout_samples
);

    wire signed [31:0] v = wdata;

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            sample_rate_hz <= 32'sd100;
            channel_enable <= 32'sd255;
            stream_mask <= 32'sd0;
            status_period_samples <= 32'sd100;
            stim_source <= 32'sd0;
            step_sharp_min_mg <= 32'sd40;
            step_adapt_shift <= 32'sd3;
            step_refractory_samples <= 32'sd25;
            step_mode <= 32'sd0;
            step_gyro_axis <= 32'sd1;
            step_swing_min_dps <= 32'sd50;
            step_hs_level_dps <= 32'sd0;
            step_stance_min <= 32'sd800;
            step_half_stride_samples <= 32'sd55;
            step_max_stride_samples <= 32'sd400;
            step_contra_slack_samples <= 32'sd15;
            step_gyro_delay_samples <= 32'sd3;
            step_trunk_fast_shift <= 32'sd3;
            step_trunk_slow_shift <= 32'sd5;
            walk_start_steps <= 32'sd4;
            walk_max_gap_samples <= 32'sd200;
            fall_impact_mg <= 32'sd1600;
            fall_settle_samples <= 32'sd40;
            fall_still_samples <= 32'sd100;
            fall_still_mg <= 32'sd150;
            fall_max_cos_permille <= 32'sd700;
            fall_ref_delay_samples <= 32'sd100;
            fall_ref_samples <= 32'sd32;
            fall_wait_samples <= 32'sd120;
            fall_rate_dps <= 32'sd90;
            fall_rate_samples <= 32'sd10;
            overload_limit <= 32'sd32767;
            overload_min_samples <= 32'sd10;
            overload_hyst <= 32'sd50;
            temp_high_limit <= 32'sd4992;
            temp_hyst <= 32'sd64;
            temp_min_samples <= 32'sd6000;
            fault_sat_samples <= 32'sd20;
            fault_stuck_samples <= 32'sd100;
            fault_stuck_mask <= 32'sd127;
            fault_dropout_samples <= 32'sd3;
            status <= 3'd0;
            rdata <= 32'd0;
        end else begin
            if (wr_en) begin
                case (addr)
                    8'h00: status <= 3'd4;
                    8'h01: status <= 3'd4;
                    8'h02: status <= 3'd4;
                    8'h03: status <= 3'd4;
                    8'h04: status <= 3'd4;
                    8'h05: status <= 3'd4;
                    8'h10: if (v >= 32'sd50 && v <= 32'sd1600) begin
                        sample_rate_hz <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h11: if (v >= 32'sd0 && v <= 32'sd255) begin
                        channel_enable <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h12: if (v >= 32'sd0 && v <= 32'sd255) begin
                        stream_mask <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h13: if (v >= 32'sd10 && v <= 32'sd1600) begin
                        status_period_samples <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h14: if (v >= 32'sd0 && v <= 32'sd1) begin
                        stim_source <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h21: if (v >= 32'sd5 && v <= 32'sd4000) begin
                        step_sharp_min_mg <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h22: if (v >= 32'sd1 && v <= 32'sd8) begin
                        step_adapt_shift <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h23: if (v >= 32'sd5 && v <= 32'sd200) begin
                        step_refractory_samples <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h24: if (v >= 32'sd0 && v <= 32'sd2) begin
                        step_mode <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h25: if (v >= 32'sd0 && v <= 32'sd5) begin
                        step_gyro_axis <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h26: if (v >= 32'sd10 && v <= 32'sd1000) begin
                        step_swing_min_dps <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h27: if (v >= 32'sd0 && v <= 32'sd500) begin
                        step_hs_level_dps <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h2A: if (v >= 32'sd0 && v <= 32'sd30000) begin
                        step_stance_min <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h2B: if (v >= 32'sd10 && v <= 32'sd200) begin
                        step_half_stride_samples <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h2C: if (v >= 32'sd50 && v <= 32'sd1000) begin
                        step_max_stride_samples <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h2D: if (v >= 32'sd0 && v <= 32'sd100) begin
                        step_contra_slack_samples <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h2E: if (v >= 32'sd0 && v <= 32'sd20) begin
                        step_gyro_delay_samples <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h2F: if (v >= 32'sd1 && v <= 32'sd10) begin
                        step_trunk_fast_shift <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h20: if (v >= 32'sd1 && v <= 32'sd10) begin
                        step_trunk_slow_shift <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h28: if (v >= 32'sd2 && v <= 32'sd20) begin
                        walk_start_steps <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h29: if (v >= 32'sd50 && v <= 32'sd1000) begin
                        walk_max_gap_samples <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h30: if (v >= 32'sd1000 && v <= 32'sd16000) begin
                        fall_impact_mg <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h31: if (v >= 32'sd0 && v <= 32'sd500) begin
                        fall_settle_samples <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h32: if (v >= 32'sd10 && v <= 32'sd1000) begin
                        fall_still_samples <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h33: if (v >= 32'sd10 && v <= 32'sd2000) begin
                        fall_still_mg <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h34: if (v >= -32'sd1000 && v <= 32'sd1000) begin
                        fall_max_cos_permille <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h35: if (v >= 32'sd10 && v <= 32'sd400) begin
                        fall_ref_delay_samples <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h36: if (v >= 32'sd1 && v <= 32'sd128) begin
                        fall_ref_samples <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h37: if (v >= 32'sd0 && v <= 32'sd500) begin
                        fall_wait_samples <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h3B: if (v >= 32'sd0 && v <= 32'sd2000) begin
                        fall_rate_dps <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h3C: if (v >= 32'sd1 && v <= 32'sd128) begin
                        fall_rate_samples <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h38: if (v >= 32'sd0 && v <= 32'sd32767) begin
                        overload_limit <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h39: if (v >= 32'sd1 && v <= 32'sd1000) begin
                        overload_min_samples <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h3A: if (v >= 32'sd0 && v <= 32'sd32767) begin
                        overload_hyst <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h40: if (v >= -32'sd32640 && v <= 32'sd32640) begin
                        temp_high_limit <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h41: if (v >= 32'sd0 && v <= 32'sd32640) begin
                        temp_hyst <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h42: if (v >= 32'sd1 && v <= 32'sd1000000) begin
                        temp_min_samples <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h48: if (v >= 32'sd1 && v <= 32'sd10000) begin
                        fault_sat_samples <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h49: if (v >= 32'sd2 && v <= 32'sd100000) begin
                        fault_stuck_samples <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h4A: if (v >= 32'sd0 && v <= 32'sd255) begin
                        fault_stuck_mask <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    8'h4B: if (v >= 32'sd1 && v <= 32'sd10000) begin
                        fault_dropout_samples <= wdata;
                        status <= 3'd0;
                    end else status <= 3'd5;
                    default: status <= 3'd3;
                endcase
            end else if (rd_en) begin
                status <= 3'd0;
                case (addr)
                    8'h00: rdata <= 32'h5C1E0001;
                    8'h01: rdata <= 32'h00000001;
                    8'h02: rdata <= live_step_count;
                    8'h03: rdata <= live_fault_flags;
                    8'h04: rdata <= live_events_dropped;
                    8'h05: rdata <= live_sample_index;
                    8'h10: rdata <= sample_rate_hz;
                    8'h11: rdata <= channel_enable;
                    8'h12: rdata <= stream_mask;
                    8'h13: rdata <= status_period_samples;
                    8'h14: rdata <= stim_source;
                    8'h21: rdata <= step_sharp_min_mg;
                    8'h22: rdata <= step_adapt_shift;
                    8'h23: rdata <= step_refractory_samples;
                    8'h24: rdata <= step_mode;
                    8'h25: rdata <= step_gyro_axis;
                    8'h26: rdata <= step_swing_min_dps;
                    8'h27: rdata <= step_hs_level_dps;
                    8'h2A: rdata <= step_stance_min;
                    8'h2B: rdata <= step_half_stride_samples;
                    8'h2C: rdata <= step_max_stride_samples;
                    8'h2D: rdata <= step_contra_slack_samples;
                    8'h2E: rdata <= step_gyro_delay_samples;
                    8'h2F: rdata <= step_trunk_fast_shift;
                    8'h20: rdata <= step_trunk_slow_shift;
                    8'h28: rdata <= walk_start_steps;
                    8'h29: rdata <= walk_max_gap_samples;
                    8'h30: rdata <= fall_impact_mg;
                    8'h31: rdata <= fall_settle_samples;
                    8'h32: rdata <= fall_still_samples;
                    8'h33: rdata <= fall_still_mg;
                    8'h34: rdata <= fall_max_cos_permille;
                    8'h35: rdata <= fall_ref_delay_samples;
                    8'h36: rdata <= fall_ref_samples;
                    8'h37: rdata <= fall_wait_samples;
                    8'h3B: rdata <= fall_rate_dps;
                    8'h3C: rdata <= fall_rate_samples;
                    8'h38: rdata <= overload_limit;
                    8'h39: rdata <= overload_min_samples;
                    8'h3A: rdata <= overload_hyst;
                    8'h40: rdata <= temp_high_limit;
                    8'h41: rdata <= temp_hyst;
                    8'h42: rdata <= temp_min_samples;
                    8'h48: rdata <= fault_sat_samples;
                    8'h49: rdata <= fault_stuck_samples;
                    8'h4A: rdata <= fault_stuck_mask;
                    8'h4B: rdata <= fault_dropout_samples;
                    default: begin
                        rdata <= 32'd0;
                        status <= 3'd3;
                    end
                endcase
            end
        end
    end
endmodule
`default_nettype wire
