// isqrt32: integer square root, floor(sqrt(i_x)), of a 32-bit unsigned input.
//
// Restoring (digit-by-digit) method, two radicand bits per clock, 16 iterations: exact for every
// 32-bit input (the step detector feeds ax² + ay² + az² < 3·2^30).
//
//   i_start  one-clock pulse with i_x valid; taken only while idle (o_busy low), else ignored
//   o_busy   high from the clock after i_start until o_done
//   o_done   one-clock pulse, 16 clocks after i_start; o_root is valid from then until the next
//            accepted i_start
//   o_root   floor(sqrt(i_x)), 16 bits
`default_nettype none

module isqrt32 (
    input  wire        clk,
    input  wire        rst_n,
    input  wire        i_start,
    input  wire [31:0] i_x,
    output reg         o_busy,
    output reg         o_done,
    output reg  [15:0] o_root
);
    reg  [31:0] radicand;  // bits not yet brought down, two per iteration from the top
    reg  [17:0] rem;       // remainder; < 2·root + 1 <= 2^17 after every iteration
    reg  [3:0]  iter;      // iterations left minus one

    // one iteration: bring down two bits, try to subtract 4·root + 1
    wire [19:0] rem_next = {rem, radicand[31:30]};
    wire [19:0] trial    = {2'b00, o_root, 2'b01};
    wire        fits     = rem_next >= trial;
    wire [17:0] diff     = rem_next[17:0] - trial[17:0];  // when it fits, the result is < 2^18

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            radicand <= 32'd0;
            rem      <= 18'd0;
            iter     <= 4'd0;
            o_busy   <= 1'b0;
            o_done   <= 1'b0;
            o_root   <= 16'd0;
        end else begin
            o_done <= 1'b0;
            if (!o_busy) begin
                if (i_start) begin
                    radicand <= i_x;
                    rem      <= 18'd0;
                    o_root   <= 16'd0;
                    iter     <= 4'd15;
                    o_busy   <= 1'b1;
                end
            end else begin
                radicand <= {radicand[29:0], 2'b00};
                rem      <= fits ? diff : rem_next[17:0];
                o_root   <= {o_root[14:0], fits};
                iter     <= iter - 4'd1;
                if (iter == 4'd0) begin
                    o_busy <= 1'b0;
                    o_done <= 1'b1;
                end
            end
        end
    end
endmodule

`default_nettype wire
