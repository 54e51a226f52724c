"""Generate the register file RTL (``hdl_models/rtl/regfile.v``) from the single source of truth,
``chip_sim/spec/registers.yaml``. A test fails when the checked-in file differs from the output.

Run: ``python -m hdl_models.gen_regfile > hdl_models/rtl/regfile.v``.
"""

from __future__ import annotations

from chip_sim.registers import (
    NACK_OUT_OF_RANGE,
    NACK_READ_ONLY,
    NACK_UNKNOWN_REGISTER,
    register_map,
)

#: Read-only registers whose value comes from the running core (inputs of the module).
LIVE = ("STEP_COUNT", "FAULT_FLAGS", "EVENTS_DROPPED", "SAMPLE_INDEX")


def _lit(value: int) -> str:
    """A signed 32-bit Verilog literal."""
    return f"-32'sd{-value}" if value < 0 else f"32'sd{value}"


def generate() -> str:
    regs = list(register_map())
    rw = [r for r in regs if r.writable]
    lines = [
        "// GENERATED from chip_sim/spec/registers.yaml by hdl_models/gen_regfile.py"
        " - do not edit.",
        "// Register file of the digital core (ICD section 3): REG_WRITE / REG_READ with the NACK",
        f"// reasons of the ICD: {NACK_UNKNOWN_REGISTER} unknown register, "
        f"{NACK_READ_ONLY} read-only,",
        f"// {NACK_OUT_OF_RANGE} value out of range (a refused write changes nothing)."
        " status 0 = ACK.",
        "`default_nettype none",
        "module regfile (",
        "    input  wire        clk,",
        "    input  wire        rst_n,",
        "    input  wire        wr_en,",
        "    input  wire        rd_en,",
        "    input  wire [7:0]  addr,",
        "    input  wire [31:0] wdata,",
        "    output reg  [2:0]  status,   // valid the cycle after wr_en or rd_en",
        "    output reg  [31:0] rdata,",
    ]
    lines += [f"    input  wire [31:0] live_{r.lower()}," for r in LIVE]
    lines += [
        f"    output reg  [31:0] {r.name.lower()}{',' if k < len(rw) - 1 else ''}"
        for k, r in enumerate(rw)
    ]
    lines += [");", "", "    wire signed [31:0] v = wdata;", ""]
    lines += ["    always @(posedge clk or negedge rst_n) begin", "        if (!rst_n) begin"]
    lines += [f"            {r.name.lower()} <= {_lit(r.reset)};" for r in rw]
    lines += [
        "            status <= 3'd0;",
        "            rdata <= 32'd0;",
        "        end else begin",
        "            if (wr_en) begin",
        "                case (addr)",
    ]
    for r in regs:
        if r.writable:
            lines += [
                f"                    8'h{r.addr:02X}: "
                f"if (v >= {_lit(r.min)} && v <= {_lit(r.max)}) begin",
                f"                        {r.name.lower()} <= wdata;",
                "                        status <= 3'd0;",
                f"                    end else status <= 3'd{NACK_OUT_OF_RANGE};",
            ]
        else:
            lines.append(f"                    8'h{r.addr:02X}: status <= 3'd{NACK_READ_ONLY};")
    lines += [
        f"                    default: status <= 3'd{NACK_UNKNOWN_REGISTER};",
        "                endcase",
        "            end else if (rd_en) begin",
        "                status <= 3'd0;",
        "                case (addr)",
    ]
    for r in regs:
        if r.name in LIVE:
            src = f"live_{r.name.lower()}"
        elif r.writable:
            src = r.name.lower()
        else:
            src = f"32'h{r.reset & 0xFFFFFFFF:08X}"
        lines.append(f"                    8'h{r.addr:02X}: rdata <= {src};")
    lines += [
        "                    default: begin",
        "                        rdata <= 32'd0;",
        f"                        status <= 3'd{NACK_UNKNOWN_REGISTER};",
        "                    end",
        "                endcase",
        "            end",
        "        end",
        "    end",
        "endmodule",
        "`default_nettype wire",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(generate(), end="")
