#!/usr/bin/env python3
"""Makes sure the Rust toolchain pinned by rust-toolchain.toml can build for a target (by
default `aarch64-unknown-linux-gnu`, Lambda's arm64), installing the target's standard library
with rustup when it is missing. Idempotent: when the library is there it prints one line and
changes nothing.

    python scripts/rust_target.py [--target aarch64-unknown-linux-gnu]

Why a script: rustup installs the `targets` of rust-toolchain.toml only when it installs the
toolchain itself. When a toolchain of that name already exists — installed earlier, or linked
to another toolchain's directory — the target is never added, and cargo-lambda's own attempt
to add it fails when two builds (`sam build` in parallel) try at once. So the Makefile runs
this once, before anything cross-compiles.

The check is the toolchain's own: `rustc --print target-libdir --target T` (run in the project,
so rustup picks the pinned toolchain) must hold a `libstd-*.rlib`. To install, `rustup target
add --toolchain <active>`; if rustup refuses because the active toolchain is a custom one
(`rustup toolchain link`), the target goes to the rustup-managed toolchain whose directory the
link points at, when there is one. Otherwise the script stops with one line saying what to do.
"""

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

DEFAULT_TARGET = "aarch64-unknown-linux-gnu"
PROJECT = Path(__file__).resolve().parent.parent


def run(*args, check=True):
    return subprocess.run(args, cwd=PROJECT, capture_output=True, text=True, check=check)


def target_libdir(target):
    """The directory that holds `target`'s standard library for the active toolchain."""
    out = run("rustc", "--print", "target-libdir", "--target", target, check=False)
    if out.returncode != 0:
        return None
    return Path(out.stdout.strip())


def has_std(target):
    libdir = target_libdir(target)
    return libdir is not None and libdir.is_dir() and any(libdir.glob("libstd-*.rlib"))


def active_toolchain():
    """Name of the toolchain rustup selects in the project (rust-toolchain.toml's)."""
    out = run("rustup", "show", "active-toolchain")
    return out.stdout.split()[0]


def toolchain_dirs():
    """rustup's toolchains as (name, resolved directory), from `rustup toolchain list -v`."""
    out = run("rustup", "toolchain", "list", "-v")
    dirs = []
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            dirs.append((parts[0], Path(parts[-1]).resolve()))
    return dirs


def rustup_add(toolchain, target):
    out = run("rustup", "target", "add", "--toolchain", toolchain, target, check=False)
    if out.returncode != 0:
        lines = out.stderr.strip().splitlines() or ["(no message)"]
        print(f"rust_target: rustup target add --toolchain {toolchain}: {lines[0]}", file=sys.stderr)
    return out.returncode == 0


def install(target):
    if shutil.which("rustup") is None:
        return False, "rustup is not on PATH"
    active = active_toolchain()
    print(f"rust_target: installing {target} for toolchain {active} (rustup target add)")
    if rustup_add(active, target) and has_std(target):
        return True, ""
    # A linked toolchain: add the target to the managed toolchain that owns the directory.
    sysroot = Path(run("rustc", "--print", "sysroot").stdout.strip()).resolve()
    for name, directory in toolchain_dirs():
        if directory == sysroot and name != active:
            print(f"rust_target: {active} is {directory}; installing {target} for {name}")
            if rustup_add(name, target) and has_std(target):
                return True, ""
    return False, f"rustup could not add {target} to toolchain {active}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", default=DEFAULT_TARGET)
    args = parser.parse_args()
    if has_std(args.target):
        print(f"rust_target: {args.target} is installed ({target_libdir(args.target)})")
        return 0
    ok, why = install(args.target)
    if ok:
        print(f"rust_target: {args.target} installed ({target_libdir(args.target)})")
        return 0
    print(
        f"rust_target: {why}; the toolchain of rust-toolchain.toml has no standard library for "
        f"{args.target}. Install it with `rustup target add {args.target}` "
        f"(or, for a toolchain built or linked by hand, add its rust-std component).",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
