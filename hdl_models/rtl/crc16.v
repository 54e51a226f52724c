// CRC-16/CCITT-FALSE, one byte per clock (ICD section 2: poly 0x1021, init 0xFFFF, no
// reflection, xorout 0; the check value of ASCII "123456789" is 0x29B1).
//
// Interface (all synchronous to clk; rst_n is asynchronous, active low):
//   i_init   1 for one clock: o_crc <= 0xFFFF (wins over i_valid in the same clock)
//   i_valid  1 for one clock: o_crc <= CRC of (o_crc, i_data), MSB first
//   o_crc    the CRC of all bytes given since the last i_init (or reset)
//   o_next   combinational: the CRC o_crc would become if i_data were taken now
// The frame carries o_crc little-endian (o_crc[7:0] first).
`default_nettype none

module crc16 (
    input  wire        clk,
    input  wire        rst_n,
    input  wire        i_init,
    input  wire        i_valid,
    input  wire [7:0]  i_data,
    output reg  [15:0] o_crc,
    output reg  [15:0] o_next
);
    localparam [15:0] POLY = 16'h1021;
    localparam [15:0] INIT = 16'hFFFF;

    integer i;
    reg [15:0] c;

    // Eight shifts of the bitwise algorithm, unrolled by synthesis.
    always @* begin
        c = o_crc ^ {i_data, 8'h00};
        for (i = 0; i < 8; i = i + 1)
            c = c[15] ? ({c[14:0], 1'b0} ^ POLY) : {c[14:0], 1'b0};
        o_next = c;
    end

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n)
            o_crc <= INIT;
        else if (i_init)
            o_crc <= INIT;
        else if (i_valid)
            o_crc <= o_next;
    end
endmodule

`default_nettype wire
