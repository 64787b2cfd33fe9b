"""The ifma kernel's machine code has no branch on data (valgrind cannot check AVX-512).

objdump disassembles the kernel's functions in the built extension. Every conditional
branch must test either a loop counter (a register that its loop changes only by constant
steps, compared with a constant or with a register the loop does not write) or, before
any loop, a value moved unchanged from an argument register (a public length such as
the number of table entries). A branch on anything else (a limb, a mask, a loaded
value) fails the test, and so does any cmov. (Table reads are full scans by
construction, see ifma_select; this test does not trace memory indices.)
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

import srp_device
from srp_device.modexp import available_kernels

FUNCTIONS = ("ifma_mul", "ifma_select", "ifma_to_normal", "ifma_from_normal")
ARGUMENT_REGS = {"rdi", "rsi", "rdx", "rcx", "r8", "r9"}
FLAG_SETTERS = {"cmp", "test", "add", "sub", "inc", "dec", "and", "or", "xor"}
_REG64 = {
    "eax": "rax", "ebx": "rbx", "ecx": "rcx", "edx": "rdx", "esi": "rsi", "edi": "rdi", "ebp": "rbp", "esp": "rsp",
    "ax": "rax", "al": "rax", "cl": "rcx", "dl": "rdx",
}
_REG64.update({f"r{i}d": f"r{i}" for i in range(8, 16)})
_LINE = re.compile(r"^\s*([0-9a-f]+):\s+(\S+)\s*(.*?)\s*(?:#.*)?$")


def _reg(name: str) -> str:
    name = name.lstrip("%")
    return _REG64.get(name, name)


def _operands(text: str) -> list[str]:
    out, depth, cur = [], 0, ""
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    return [*out, cur.strip()] if cur.strip() else out


def _registers(operand: str) -> list[str]:
    return [_reg(r) for r in re.findall(r"%(\w+)", operand)]


def disassemble(so: Path, function: str) -> list[tuple[int, str, list[str]]]:
    text = subprocess.run(
        ["objdump", "-d", "--no-show-raw-insn", f"--disassemble={function}", str(so)],
        check=True, capture_output=True, text=True,
    ).stdout
    body = text.split(f"<{function}>:", 1)[1]
    out = []
    for line in body.splitlines():
        m = _LINE.match(line)
        if m:
            out.append((int(m.group(1), 16), m.group(2), _operands(m.group(3))))
    assert out, f"{function} not found in {so}"
    return out


def writes(insn: tuple[int, str, list[str]]) -> set[str]:
    _, mnemonic, ops = insn
    if not ops or mnemonic.startswith(("cmp", "test", "j", "push", "vp", "vm", "v")) or "(" in ops[-1]:
        return set()
    return set(_registers(ops[-1])) if ops[-1].startswith("%") else set()


def is_counter_step(insn: tuple[int, str, list[str]], reg: str) -> bool:
    _, mnemonic, ops = insn
    if mnemonic in ("inc", "dec"):
        return True
    if mnemonic in ("add", "sub") and ops[0].startswith("$"):
        return True
    if mnemonic == "lea" and re.fullmatch(r"-?0x[0-9a-f]+\(%(\w+)\)|\d+\(%(\w+)\)", ops[0]):
        return _registers(ops[0]) == [reg]
    return False


def public_from_arguments(code: list[tuple[int, str, list[str]]], upto: int, reg: str) -> bool:
    """reg, before index upto, holds an argument register's value moved unchanged (or was never written)."""
    source = reg
    for insn in reversed(code[:upto]):
        if source in writes(insn):
            _, mnemonic, ops = insn
            if mnemonic == "mov" and ops[0].startswith("%"):
                source = _reg(ops[0])
                continue
            return False
    return source in ARGUMENT_REGS


def check_function(code: list[tuple[int, str, list[str]]]) -> list[str]:
    problems = []
    addresses = [a for a, _, _ in code]
    for i, (addr, mnemonic, ops) in enumerate(code):
        if mnemonic.startswith("cmov"):
            problems.append(f"{addr:x}: {mnemonic}")
        if not (mnemonic.startswith("j") and mnemonic != "jmp"):
            continue
        target = int(ops[0].split()[0], 16)
        setter = next(k for k in range(i - 1, -1, -1) if code[k][1] in FLAG_SETTERS)
        regs = {r for op in code[setter][2] for r in _registers(op)}
        if target < addr:  # a loop back-edge: [target, addr] is the loop
            body = code[addresses.index(target) : i + 1]
            for reg in regs:
                written = [insn for insn in body if reg in writes(insn)]
                if not all(is_counter_step(insn, reg) for insn in written):
                    problems.append(f"{addr:x}: {mnemonic} on {reg}, which its loop writes with data")
        else:
            for reg in regs:
                if not public_from_arguments(code, setter, reg):
                    problems.append(f"{addr:x}: {mnemonic} on {reg}, not a public argument")
    return problems


@pytest.fixture(scope="module")
def extension() -> Path:
    if shutil.which("objdump") is None:
        pytest.skip("objdump is not installed")
    import srp_device._native as native

    so = Path(native.__file__)
    if "ifma" not in [name for name, _ in native.kernels()]:
        pytest.skip("this build has no ifma kernel (compiler or platform)")
    assert so.is_relative_to(Path(srp_device.__file__).parent)
    return so


@pytest.mark.parametrize("function", FUNCTIONS)
def test_no_branch_on_data_in_the_ifma_kernel(extension: Path, function: str) -> None:
    code = disassemble(extension, function)
    assert any(m.startswith("vpmadd52") for _, m, _ in code) or function != "ifma_mul"
    assert check_function(code) == []


def test_the_checker_catches_a_data_branch() -> None:
    """A branch on a loaded value, and a loop whose counter is loaded from memory, are caught."""
    leaky = [
        (0x10, "mov", ["(%rsi)", "%rax"]),
        (0x13, "test", ["%rax", "%rax"]),
        (0x16, "je", ["30 <f+0x20>"]),
        (0x18, "mov", ["(%rsi,%rdx,8)", "%rcx"]),
        (0x1c, "cmp", ["%rcx", "%r8"]),
        (0x1f, "jne", ["18 <f+0x8>"]),
        (0x21, "cmovne", ["%rax", "%rbx"]),
    ]
    problems = check_function(leaky)
    assert len(problems) == 3, problems


def test_ifma_runs_here_when_the_cpu_has_it() -> None:
    cpu = srp_device.modexp._native_module().cpu()
    assert ("ifma" in available_kernels()) == (cpu["avx512f"] and cpu["avx512ifma"] and cpu["os_avx512"])
