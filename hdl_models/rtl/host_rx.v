// ICD host-frame receiver: uart_rx -> byte buffer -> frame parser (ICD section 2).
//
// Behaves as chip_sim.icd.FrameDecoder on any byte stream: it hunts for SYNC0 SYNC1, checks
// LEN <= 250 and the CRC-16/CCITT-FALSE over TYPE..PAYLOAD (little-endian on the wire), and on any
// failure resumes the hunt at the byte after the SYNC0 it tried — so a frame hidden inside a bad
// frame (or behind a fake header) is still found. After a good frame the hunt goes on after its
// CRC (a SYNC0 inside a good frame is never tried). Like FrameDecoder, a header whose LEN is
// plausible holds the frames behind it back until LEN + 7 bytes from its SYNC0 have arrived.
//
// Interface (all synchronous to clk; rst_n is asynchronous, active low):
//   i_rxd            the UART line from the host (8N1, idle high, CLKS_PER_BIT clocks per bit);
//                    a byte with a low stop bit is dropped by uart_rx and never seen here
//   o_frame          one-clock pulse: a complete frame with a good CRC and LEN <= 250
//   o_type, o_seq,   that frame's TYPE, SEQ and LEN, held until the next o_frame
//   o_len
//   o_payload        its first 5 payload bytes, byte 0 in [7:0]; bytes past LEN are 0
//   o_pl_valid,      one-clock strobe for every payload byte the parser reads, in every try (a try
//   o_pl_two,        that fails is read again from pos + 1): o_pl_data[7:0] is payload byte
//   o_pl_idx,        o_pl_idx, and with o_pl_two also o_pl_data[15:8] byte o_pl_idx + 1. The
//   o_pl_data        bytes of the frame that o_frame announces are the last ones strobed before
//                    it, so a consumer that keeps them by index holds the whole payload (STIMULUS
//                    rows, docs/host-replay.md) when o_frame comes.
//   i_hold           while high the parser waits (received bytes still go into the buffer): a
//                    consumer copying out the payload of the frame just announced holds it so
//                    that the next frame's bytes do not overwrite the copy's source
//   o_crc_errors     frames dropped for a bad CRC (FrameDecoder.crc_errors), saturating
//   o_bytes_dropped  bytes skipped while hunting, the SYNC0 of every failed try included
//                    (FrameDecoder.bytes_skipped), plus received bytes lost to a full buffer
//                    (see below); saturating
//
// Structure: every received byte goes into a 512-byte circular buffer. The parser reads it at
// up to one byte per clock (two per clock inside a payload) from `pos`, the SYNC0 of the try in
// progress (FrameDecoder's `pos`), plus `idx` bytes; a failed try restarts it at pos + 1, so the
// bytes of a try stay in the buffer until it is decided. A try needs at most 257 bytes, so the
// buffer always has room for the rest of it: the parser cannot wait for ever. A UART byte takes
// 10 * CLKS_PER_BIT clocks. The densest work is a stream made only of A5 5A pairs: a try every 2
// bytes (20 * CLKS_PER_BIT clocks), each with LEN 0xA5 = 165, about 90 parser clocks — so the
// parser keeps up with any stream for CLKS_PER_BIT >= 5 (a cycle model of this parser on such
// runs, on nested tries and on random A5/5A/FA streams never held more than the 257 bytes of one
// try at CLKS_PER_BIT = 8). Should it ever fall 512 bytes behind (CLKS_PER_BIT <= 4 and a hostile
// stream), an incoming byte is dropped and counted in o_bytes_dropped — only then does host_rx
// differ from FrameDecoder — and the parser never stops.
`default_nettype none

module host_rx #(
    parameter integer CLKS_PER_BIT = 8
) (
    input  wire        clk,
    input  wire        rst_n,
    input  wire        i_rxd,
    input  wire        i_hold,
    output reg         o_frame,
    output reg  [7:0]  o_type,
    output reg  [7:0]  o_seq,
    output reg  [7:0]  o_len,
    output reg  [39:0] o_payload,
    output reg         o_pl_valid,
    output reg         o_pl_two,
    output reg  [7:0]  o_pl_idx,
    output reg  [15:0] o_pl_data,
    output reg  [15:0] o_crc_errors,
    output reg  [15:0] o_bytes_dropped
);
    localparam [7:0]  SYNC0   = 8'hA5;
    localparam [7:0]  SYNC1   = 8'h5A;
    localparam [7:0]  MAX_LEN = 8'd250;
    localparam [15:0] CRC_INIT = 16'hFFFF;
    localparam [15:0] POLY     = 16'h1021;

    localparam [2:0] S_SYNC0   = 3'd0;
    localparam [2:0] S_SYNC1   = 3'd1;
    localparam [2:0] S_TYPE    = 3'd2;
    localparam [2:0] S_SEQ     = 3'd3;
    localparam [2:0] S_LEN     = 3'd4;
    localparam [2:0] S_PAYLOAD = 3'd5;
    localparam [2:0] S_CRC_LO  = 3'd6;
    localparam [2:0] S_CRC_HI  = 3'd7;

    // --- CRC-16/CCITT-FALSE of one byte (as crc16.v, bitwise, MSB first) --------------------
    function [15:0] crc_byte(input [15:0] crc, input [7:0] data);
        integer k;
        reg [15:0] c;
        begin
            c = crc ^ {data, 8'h00};
            for (k = 0; k < 8; k = k + 1)
                c = c[15] ? ({c[14:0], 1'b0} ^ POLY) : {c[14:0], 1'b0};
            crc_byte = c;
        end
    endfunction

    // payload byte `k` (0..4 kept, others ignored) set to `data`
    function [39:0] put_byte(input [39:0] payload, input [2:0] k, input [7:0] data);
        begin
            put_byte = payload;
            case (k)
                3'd0: put_byte[7:0]   = data;
                3'd1: put_byte[15:8]  = data;
                3'd2: put_byte[23:16] = data;
                3'd3: put_byte[31:24] = data;
                3'd4: put_byte[39:32] = data;
                default: ;
            endcase
        end
    endfunction

    function [15:0] sat_add(input [15:0] count, input [1:0] inc);
        reg [16:0] sum;
        begin
            sum = {1'b0, count} + {15'd0, inc};
            sat_add = sum[16] ? 16'hFFFF : sum[15:0];
        end
    endfunction

    // --- UART and the byte buffer ----------------------------------------------------------
    wire       rx_valid;
    wire [7:0] rx_data;

    uart_rx #(.CLKS_PER_BIT(CLKS_PER_BIT)) u_rx (
        .clk        (clk),
        .rst_n      (rst_n),
        .i_rxd      (i_rxd),
        .o_valid    (rx_valid),
        .o_data     (rx_data),
        /* verilator lint_off PINCONNECTEMPTY */
        .o_frame_err()  // a byte with a bad stop bit is simply not delivered
        /* verilator lint_on PINCONNECTEMPTY */
    );

    reg [7:0] mem [0:511];
    reg [9:0] wptr;   // next write, modulo 1024 (bit 9 tells full from empty)
    reg [9:0] pos;    // SYNC0 of the try in progress, or the next byte to hunt
    reg [8:0] idx;    // next byte to read is pos + idx (0..256)

    wire [9:0] fill    = wptr - pos;            // bytes held, 0..512
    wire       full    = (fill == 10'd512);
    wire       write   = rx_valid && !full;
    wire       ovf     = rx_valid && full;
    wire [9:0] rd_addr = pos + {1'b0, idx};
    wire [9:0] ahead   = wptr - rd_addr;        // bytes readable now
    wire       avail1  = (ahead != 10'd0) && !i_hold;
    wire       avail2  = (ahead > 10'd1) && !i_hold;
    wire [8:0] rd_next = rd_addr[8:0] + 9'd1;
    wire [7:0] b0      = mem[rd_addr[8:0]];
    wire [7:0] b1      = mem[rd_next];

    always @(posedge clk) begin
        if (write) mem[wptr[8:0]] <= rx_data;
    end

    // --- parser ----------------------------------------------------------------------------
    reg [2:0]  state;
    reg [15:0] crc;
    reg [7:0]  f_type, f_seq, f_len, remaining;
    reg [39:0] f_payload;
    reg [2:0]  pl_cnt;     // payload bytes taken so far, saturating at 5
    reg        crc_lo_ok;

    wire crc_hi_ok = crc_lo_ok && (b0 == crc[15:8]);
    wire accept    = avail1 && (state == S_CRC_HI) && crc_hi_ok;
    wire crc_fail  = avail1 && (state == S_CRC_HI) && !crc_hi_ok;
    wire not_sync0 = (state == S_SYNC0) && (b0 != SYNC0);
    wire fail      = avail1 && (((state == S_SYNC1) && (b0 != SYNC1))
                                || ((state == S_LEN) && (b0 > MAX_LEN))
                                || ((state == S_CRC_HI) && !crc_hi_ok));
    wire skip      = (avail1 && not_sync0) || fail;   // pos moves on by one
    wire two       = (state == S_PAYLOAD) && avail2 && (remaining > 8'd1);
    wire [2:0] pl_cnt1 = (pl_cnt == 3'd5) ? 3'd5 : pl_cnt + 3'd1;
    wire [2:0] pl_cnt2 = (pl_cnt1 == 3'd5) ? 3'd5 : pl_cnt1 + 3'd1;

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            wptr            <= 10'd0;
            pos             <= 10'd0;
            idx             <= 9'd0;
            state           <= S_SYNC0;
            crc             <= CRC_INIT;
            f_type          <= 8'h00;
            f_seq           <= 8'h00;
            f_len           <= 8'h00;
            remaining       <= 8'h00;
            f_payload       <= 40'd0;
            pl_cnt          <= 3'd0;
            crc_lo_ok       <= 1'b0;
            o_frame         <= 1'b0;
            o_type          <= 8'h00;
            o_seq           <= 8'h00;
            o_len           <= 8'h00;
            o_payload       <= 40'd0;
            o_pl_valid      <= 1'b0;
            o_pl_two        <= 1'b0;
            o_pl_idx        <= 8'd0;
            o_pl_data       <= 16'd0;
            o_crc_errors    <= 16'd0;
            o_bytes_dropped <= 16'd0;
        end else begin
            o_frame    <= 1'b0;
            o_pl_valid <= 1'b0;
            if (write) wptr <= wptr + 10'd1;
            o_bytes_dropped <= sat_add(o_bytes_dropped, {1'b0, skip} + {1'b0, ovf});
            if (crc_fail) o_crc_errors <= sat_add(o_crc_errors, 2'd1);

            if (skip) begin  // resume the hunt at the byte after pos
                pos   <= pos + 10'd1;
                idx   <= 9'd0;
                state <= S_SYNC0;
            end else if (accept) begin
                o_frame   <= 1'b1;
                o_type    <= f_type;
                o_seq     <= f_seq;
                o_len     <= f_len;
                o_payload <= f_payload;
                pos       <= rd_addr + 10'd1;
                idx       <= 9'd0;
                state     <= S_SYNC0;
            end else if (avail1) begin
                idx <= idx + 9'd1;
                case (state)
                    S_SYNC0: state <= S_SYNC1;  // b0 is SYNC0 (else skip)
                    S_SYNC1: begin
                        crc   <= CRC_INIT;
                        state <= S_TYPE;
                    end
                    S_TYPE: begin
                        f_type <= b0;
                        crc    <= crc_byte(crc, b0);
                        state  <= S_SEQ;
                    end
                    S_SEQ: begin
                        f_seq <= b0;
                        crc   <= crc_byte(crc, b0);
                        state <= S_LEN;
                    end
                    S_LEN: begin  // b0 <= MAX_LEN (else fail)
                        f_len     <= b0;
                        remaining <= b0;
                        crc       <= crc_byte(crc, b0);
                        f_payload <= 40'd0;
                        pl_cnt    <= 3'd0;
                        state     <= (b0 == 8'd0) ? S_CRC_LO : S_PAYLOAD;
                    end
                    S_PAYLOAD: begin
                        o_pl_valid <= 1'b1;
                        o_pl_two   <= two;
                        o_pl_idx   <= f_len - remaining;
                        o_pl_data  <= {b1, b0};
                        if (two) begin
                            idx       <= idx + 9'd2;
                            crc       <= crc_byte(crc_byte(crc, b0), b1);
                            f_payload <= put_byte(put_byte(f_payload, pl_cnt, b0), pl_cnt1, b1);
                            pl_cnt    <= pl_cnt2;
                            remaining <= remaining - 8'd2;
                            if (remaining == 8'd2) state <= S_CRC_LO;
                        end else begin
                            crc       <= crc_byte(crc, b0);
                            f_payload <= put_byte(f_payload, pl_cnt, b0);
                            pl_cnt    <= pl_cnt1;
                            remaining <= remaining - 8'd1;
                            if (remaining == 8'd1) state <= S_CRC_LO;
                        end
                    end
                    S_CRC_LO: begin
                        crc_lo_ok <= (b0 == crc[7:0]);
                        state     <= S_CRC_HI;
                    end
                    default: state <= S_SYNC0;  // S_CRC_HI is decided above
                endcase
            end
        end
    end
endmodule

`default_nettype wire
