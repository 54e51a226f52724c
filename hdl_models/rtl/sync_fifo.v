// sync_fifo: first-in first-out queue of DEPTH words (a power of two), one clock.
//
//   i_push   write i_data at the tail (the caller never pushes into a full queue)
//   i_pop    drop the head (the caller never pops an empty queue)
//   o_head   the oldest word, valid while o_count != 0
//   o_count  words held, 0..DEPTH
// A push and a pop may come in the same clock. The storage has no reset (only the pointers do),
// as a RAM macro would have none.
`default_nettype none

module sync_fifo #(
    parameter integer WIDTH = 8,
    parameter integer DEPTH = 4
) (
    input  wire                     clk,
    input  wire                     rst_n,
    input  wire                     i_push,
    input  wire [WIDTH-1:0]         i_data,
    input  wire                     i_pop,
    output wire [WIDTH-1:0]         o_head,
    output reg  [$clog2(DEPTH):0]   o_count
);
    localparam integer AW = $clog2(DEPTH);

    reg [WIDTH-1:0] mem [0:DEPTH-1];
    reg [AW-1:0]    wp, rp;

    assign o_head = mem[rp];

    always @(posedge clk) begin
        if (i_push) mem[wp] <= i_data;
    end

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            wp      <= {AW{1'b0}};
            rp      <= {AW{1'b0}};
            o_count <= {(AW+1){1'b0}};
        end else begin
            if (i_push) wp <= wp + 1'b1;
            if (i_pop) rp <= rp + 1'b1;
            o_count <= o_count + {{AW{1'b0}}, i_push} - {{AW{1'b0}}, i_pop};
        end
    end
endmodule

`default_nettype wire
