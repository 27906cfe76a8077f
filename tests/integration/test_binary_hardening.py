#!/usr/bin/env python3
"""The installed binary carries the compiler and linker hardening of CMakeLists.txt
(issue 12 item 13): installs the build into a temporary prefix with `cmake --install` and
reads the result with readelf and objdump.

usage: test_binary_hardening.py BUILD_DIR SANITIZE(ON|OFF) CF_PROTECTION(1|0)
"""
import os
import platform
import subprocess
import sys
import tempfile

from harness import check, finish


def out(*args):
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def main():
    build, sanitize, cf = sys.argv[1], sys.argv[2].upper() in ("ON", "1", "TRUE"), sys.argv[3] == "1"
    with tempfile.TemporaryDirectory(prefix="ia-install-") as prefix:
        subprocess.run(["cmake", "--install", build, "--prefix", prefix], check=True,
                       capture_output=True)
        binary = os.path.join(prefix, "bin", "iam-audit")
        check(os.access(binary, os.X_OK), f"installed {binary}")
        header = out("readelf", "-h", "-W", binary)
        dynamic = out("readelf", "-d", "-W", binary)
        segments = out("readelf", "-l", "-W", binary)
        symbols = out("readelf", "--dyn-syms", "-W", binary)
        check("DYN (Position-Independent Executable" in header, "a position-independent executable")
        check("BIND_NOW" in dynamic or "Flags: NOW" in dynamic,
              "-z now: every symbol bound at start-up (BIND_NOW)")
        check("GNU_RELRO" in segments, "-z relro: a GNU_RELRO segment")
        check("__stack_chk_fail" in symbols, "-fstack-protector-strong: __stack_chk_fail is used")
        chk = sorted({w for w in symbols.split() if w.startswith("__") and "_chk@" in w})
        if sanitize:
            # ASan replaces these checks with its own; FORTIFY is off in sanitizer builds.
            print(f"NOTE: sanitizer build: FORTIFY is off by design ({len(chk)} _chk calls)")
        else:
            check(len(chk) >= 3, f"-D_FORTIFY_SOURCE=2: fortified libc calls ({chk})")
        if cf and platform.machine() in ("x86_64", "AMD64"):
            dis = out("objdump", "-d", "--no-show-raw-insn", f"--disassemble=main", binary)
            body = dis.split("<main>:", 1)[-1].strip().splitlines()
            check(body and "endbr64" in body[0], f"-fcf-protection: main starts with endbr64 "
                                                  f"({body[:1]})")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
