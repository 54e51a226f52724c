// ICD frame transmitter: SYNC0 SYNC1 TYPE SEQ LEN PAYLOAD CRC (ICD section 2) out of a UART.
//
// Header interface: when o_ready is high, i_start for one clock takes i_type, i_seq and i_len
// (all latched; LEN is the payload length in bytes, 0..MAX_PAYLOAD). An i_start with
// i_len > MAX_PAYLOAD is refused: nothing is sent and o_len_err pulses for one clock.
// Payload interface (valid/ready, like uart_tx): after LEN has been handed to the UART the module
// raises o_pl_ready while it can take a payload byte; a byte is taken on a rising clk edge where
// i_pl_valid && o_pl_ready. Exactly LEN bytes are taken. The sender may pause (i_pl_valid low);
// the line then idles between bytes, which a receiver tolerates.
// CRC-16/CCITT-FALSE (crc16.v) runs over TYPE..PAYLOAD and goes out little-endian.
// o_ready returns high in the last clock of the CRC's stop bit, so frames can follow back-to-back.
`default_nettype none

module frame_tx #(
    parameter integer CLKS_PER_BIT = 8,
    parameter integer MAX_PAYLOAD  = 250  // ICD: LEN 0..250
) (
    input  wire       clk,
    input  wire       rst_n,
    // header
    input  wire       i_start,
    input  wire [7:0] i_type,
    input  wire [7:0] i_seq,
    input  wire [7:0] i_len,
    output wire       o_ready,
    output reg        o_len_err,
    // payload bytes
    input  wire       i_pl_valid,
    input  wire [7:0] i_pl_data,
    output wire       o_pl_ready,
    // serial line
    output wire       o_txd
);
    localparam [7:0] SYNC0 = 8'hA5;
    localparam [7:0] SYNC1 = 8'h5A;
    localparam [7:0] MAX_LEN = MAX_PAYLOAD[7:0];

    localparam [3:0] S_IDLE    = 4'd0;
    localparam [3:0] S_SYNC0   = 4'd1;
    localparam [3:0] S_SYNC1   = 4'd2;
    localparam [3:0] S_TYPE    = 4'd3;
    localparam [3:0] S_SEQ     = 4'd4;
    localparam [3:0] S_LEN     = 4'd5;
    localparam [3:0] S_PAYLOAD = 4'd6;
    localparam [3:0] S_CRC_LO  = 4'd7;
    localparam [3:0] S_CRC_HI  = 4'd8;
    localparam [3:0] S_DRAIN   = 4'd9;  // wait for the UART to finish the last byte

    reg [3:0] state;
    reg [7:0] f_type, f_seq, f_len, remaining;

    wire [15:0] crc;
    wire        tx_ready;
    reg  [7:0]  tx_data;
    wire        tx_valid = (state != S_IDLE) && (state != S_DRAIN)
                           && (state != S_PAYLOAD || i_pl_valid);
    wire        tx_take = tx_valid && tx_ready;
    wire        in_body = (state == S_TYPE) || (state == S_SEQ) || (state == S_LEN)
                          || (state == S_PAYLOAD);

    assign o_ready    = (state == S_IDLE) || (state == S_DRAIN && tx_ready);
    assign o_pl_ready = (state == S_PAYLOAD) && tx_ready;

    always @* begin
        case (state)
            S_SYNC0:   tx_data = SYNC0;
            S_SYNC1:   tx_data = SYNC1;
            S_TYPE:    tx_data = f_type;
            S_SEQ:     tx_data = f_seq;
            S_LEN:     tx_data = f_len;
            S_PAYLOAD: tx_data = i_pl_data;
            S_CRC_LO:  tx_data = crc[7:0];
            S_CRC_HI:  tx_data = crc[15:8];
            default:   tx_data = 8'hFF;
        endcase
    end

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            state     <= S_IDLE;
            f_type    <= 8'h00;
            f_seq     <= 8'h00;
            f_len     <= 8'h00;
            remaining <= 8'h00;
            o_len_err <= 1'b0;
        end else begin
            o_len_err <= 1'b0;
            if (o_ready && i_start) begin
                if (i_len > MAX_LEN) begin
                    o_len_err <= 1'b1;
                    state     <= S_IDLE;
                end else begin
                    f_type    <= i_type;
                    f_seq     <= i_seq;
                    f_len     <= i_len;
                    remaining <= i_len;
                    state     <= S_SYNC0;
                end
            end else if (state == S_DRAIN) begin
                if (tx_ready) state <= S_IDLE;
            end else if (tx_take) begin
                case (state)
                    S_SYNC0:  state <= S_SYNC1;
                    S_SYNC1:  state <= S_TYPE;
                    S_TYPE:   state <= S_SEQ;
                    S_SEQ:    state <= S_LEN;
                    S_LEN:    state <= (f_len == 8'd0) ? S_CRC_LO : S_PAYLOAD;
                    S_PAYLOAD: begin
                        remaining <= remaining - 8'd1;
                        if (remaining == 8'd1) state <= S_CRC_LO;
                    end
                    S_CRC_LO: state <= S_CRC_HI;
                    S_CRC_HI: state <= S_DRAIN;
                    default:  state <= S_IDLE;
                endcase
            end
        end
    end

    crc16 u_crc (
        .clk    (clk),
        .rst_n  (rst_n),
        .i_init (state == S_SYNC0),
        .i_valid(tx_take && in_body),
        .i_data (tx_data),
        .o_crc  (crc),
        /* verilator lint_off PINCONNECTEMPTY */
        .o_next ()  // frame_tx uses the registered CRC only
        /* verilator lint_on PINCONNECTEMPTY */
    );

    uart_tx #(.CLKS_PER_BIT(CLKS_PER_BIT)) u_tx (
        .clk    (clk),
        .rst_n  (rst_n),
        .i_valid(tx_valid),
        .i_data (tx_data),
        .o_ready(tx_ready),
        .o_txd  (o_txd)
    );
endmodule

`default_nettype wire
