// Stand-alone top of the core harness for the RTL speed benchmark (benchmarks/bench_rtl.py): no
// cocotb, no VPI — the simulator runs tb_core (clock and $readmemh sample streaming inside the HDL)
// on its own and Python only decodes the byte file afterwards, at frame level.
//
// Plusargs:
//   +stim=<path>   stimulus file of tb_core.v (one sample per line)
//   +n=<int>       samples to stream
//   +cps=<int>     clocks per sample (9216 = 100 Hz at 921.6 kHz, real time; 0 = elastic)
//   +out=<path>    output: every byte the chip sends, one hex byte per line (decoded here with the
//                  project's uart_rx, 8 clocks per bit), then summary lines starting with '#'
//
// Sequence (as hdl_models/harness/test_core.py without host writes): power-on reset for 3 clocks,
// wait for the power-on RESET frame to end (first byte, then 4 quiet byte times), pulse load for
// one clock, wait for done, two more byte times for the last stop bit, write the summary, $finish.
// The host line rxd stays idle (high). A watchdog ends a run that never reaches done.
`default_nettype none

module tb_core_main;
    localparam [63:0]  CLOCK_NS = 64'd1085;  // tb_core's clock period (921.6 kHz, 1 ns unit)
    localparam integer BYTE_CLKS = 80;   // one 8N1 byte at 8 clocks per bit

    reg             por_n;
    reg             load;
    reg [8*256-1:0] stim_path;
    reg [8*256-1:0] out_path;
    reg [31:0]      n_samples;
    reg [31:0]      clks_per_sample;
    wire            txd;
    wire            done;
    wire [31:0]     overruns;
    wire [31:0]     streamed;
    wire            fifo_was_full;
    wire [31:0]     events_dropped;
    wire [15:0]     status_lost;
    wire [15:0]     resp_dropped;
    wire [15:0]     crc_errors;
    /* verilator lint_off UNUSEDSIGNAL */  // status outputs this top does not need
    wire            sampling;
    wire            idle;
    /* verilator lint_on UNUSEDSIGNAL */

    tb_core u_tb (
        .por_n          (por_n),
        .load           (load),
        .stim_path      (stim_path),
        .dump_path      ({8*256{1'b0}}),
        .n_samples      (n_samples),
        .clks_per_sample(clks_per_sample),
        .dump_from      (32'd0),
        .dump_to        (32'd0),
        .rxd            (1'b1),
        .txd            (txd),
        .done           (done),
        .overruns       (overruns),
        .streamed       (streamed),
        .fifo_was_full  (fifo_was_full),
        .events_dropped (events_dropped),
        .status_lost    (status_lost),
        .resp_dropped   (resp_dropped),
        .crc_errors     (crc_errors),
        .sampling       (sampling),
        .idle           (idle)
    );

    wire clk = u_tb.clk;

    // the chip's transmit line, decoded by the project's receiver
    wire       rx_valid;
    wire [7:0] rx_data;
    /* verilator lint_off PINCONNECTEMPTY */
    uart_rx #(.CLKS_PER_BIT(8)) u_rx (
        .clk        (clk),
        .rst_n      (por_n),
        .i_rxd      (txd),
        .o_valid    (rx_valid),
        .o_data     (rx_data),
        .o_frame_err()
    );
    /* verilator lint_on PINCONNECTEMPTY */

    integer    fd;
    reg [31:0] n_bytes;
    reg [31:0] quiet;       // clocks since the last byte
    reg [63:0] t_load;
    reg [63:0] t_done;

    initial begin
        fd      = 0;
        n_bytes = 32'd0;
        quiet   = 32'd0;
    end

    always @(posedge clk) begin
        if (rx_valid) begin
            $fwrite(fd, "%02x\n", rx_data);
            n_bytes <= n_bytes + 32'd1;
            quiet   <= 32'd0;
        end else begin
            quiet <= quiet + 32'd1;
        end
    end

    reg [63:0] limit_ns;

    initial begin
        por_n           = 1'b0;
        load            = 1'b0;
        stim_path       = {8*256{1'b0}};
        out_path        = {8*256{1'b0}};
        n_samples       = 32'd0;
        clks_per_sample = 32'd9216;
        if (!$value$plusargs("stim=%s", stim_path)) begin
            $display("tb_core_main: +stim=<path> missing");
            $finish;
        end
        if (!$value$plusargs("out=%s", out_path)) begin
            $display("tb_core_main: +out=<path> missing");
            $finish;
        end
        if (!$value$plusargs("n=%d", n_samples)) begin
            $display("tb_core_main: +n=<samples> missing");
            $finish;
        end
        if (!$value$plusargs("cps=%d", clks_per_sample)) clks_per_sample = 32'd9216;
        fd = $fopen(out_path, "w");
        if (fd == 0) begin
            $display("tb_core_main: cannot open %0s", out_path);
            $finish;
        end
        repeat (3) @(posedge clk);
        @(negedge clk);
        por_n = 1'b1;
        // the power-on RESET frame: its first byte, then 4 quiet byte times
        wait (n_bytes != 32'd0);
        wait (quiet >= 4 * BYTE_CLKS);
        @(negedge clk);
        load = 1'b1;
        t_load = $time;
        @(negedge clk);
        load = 1'b0;
        wait (done);
        t_done = $time;
        repeat (2 * BYTE_CLKS) @(posedge clk);
        $fwrite(fd, "# time_ns %0d\n", $time);
        $fwrite(fd, "# cycles %0d\n", $time / CLOCK_NS);
        $fwrite(fd, "# stream_cycles %0d\n", (t_done - t_load) / CLOCK_NS);
        $fwrite(fd, "# bytes %0d\n", n_bytes);
        $fwrite(fd, "# streamed %0d\n", streamed);
        $fwrite(fd, "# overruns %0d\n", overruns);
        $fwrite(fd, "# fifo_was_full %0d\n", fifo_was_full);
        $fwrite(fd, "# events_dropped %0d\n", events_dropped);
        $fwrite(fd, "# status_lost %0d\n", status_lost);
        $fwrite(fd, "# resp_dropped %0d\n", resp_dropped);
        $fwrite(fd, "# crc_errors %0d\n", crc_errors);
        $fwrite(fd, "# done 1\n");
        $fclose(fd);
        $finish;
    end

    // watchdog: (n_samples + 100) sample periods (at least 4000 clocks each) after power-on
    initial begin
        #1;
        limit_ns = (64'd100 + {32'd0, n_samples})
                   * {32'd0, (clks_per_sample > 32'd4000 ? clks_per_sample : 32'd4000)} * CLOCK_NS;
        while ($time < limit_ns) #1000000;  // a constant delay: checked once per simulated ms
        $display("tb_core_main: watchdog, done not reached after %0d ns", limit_ns);
        if (fd != 0) begin
            $fwrite(fd, "# time_ns %0d\n", $time);
            $fwrite(fd, "# timeout 1\n");
            $fclose(fd);
        end
        $finish;
    end
endmodule

`default_nettype wire
