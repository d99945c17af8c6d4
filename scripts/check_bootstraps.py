#!/usr/bin/env python3
"""Checks what `sam build` produced: for every Rust function of template.yaml, an executable
`bootstrap` in .aws-sam/build/<LogicalId>/ that is a 64-bit little-endian aarch64 ELF, as
Lambda's arm64 `provided.al2023` runtime runs it. Prints each binary's size and zipped size.

    python scripts/check_bootstraps.py [--template template.yaml] [--build-dir .aws-sam/build]
"""

import argparse
import io
import os
import struct
import sys
import zipfile
from pathlib import Path

import yaml

EM_AARCH64 = 183  # ELF e_machine for AArch64
ET_EXEC, ET_DYN = 2, 3
SHT_GNU_VERNEED = 0x6FFFFFFE
# Amazon Linux 2023 (provided.al2023) ships glibc 2.34:
# https://docs.aws.amazon.com/linux/al2023/ug/compare-with-al2.html
RUNTIME_GLIBC = (2, 34)


class TemplateLoader(yaml.SafeLoader):
    """Reads CloudFormation YAML, ignoring intrinsic-function tags (!Ref, !Sub, …)."""


TemplateLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def rust_functions(template):
    doc = yaml.load(Path(template).read_text(), Loader=TemplateLoader)
    for logical_id, resource in doc.get("Resources", {}).items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        metadata = resource.get("Metadata") or {}
        if metadata.get("BuildMethod") == "rust-cargolambda":
            yield logical_id, metadata.get("BuildProperties", {}).get("Binary")


def elf_problems(data):
    if data[:4] != b"\x7fELF":
        return ["not an ELF file"]
    problems = []
    if data[4] != 2:
        problems.append("not 64-bit (EI_CLASS)")
    if data[5] != 1:
        problems.append("not little-endian (EI_DATA)")
    e_type, e_machine = struct.unpack_from("<HH", data, 16)
    if e_type not in (ET_EXEC, ET_DYN):
        problems.append(f"not an executable (e_type {e_type})")
    if e_machine != EM_AARCH64:
        problems.append(f"not aarch64 (e_machine {e_machine})")
    return problems


def glibc_versions(data):
    """The GLIBC_x.y versions the binary needs (its .gnu.version_r entries), as tuples."""
    e_shoff, = struct.unpack_from("<Q", data, 0x28)
    e_shentsize, e_shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, e_shoff + i * e_shentsize) for i in range(e_shnum)]
    versions = set()
    for _name, sh_type, _flags, _addr, offset, _size, link, _info, _align, _entsize in sections:
        if sh_type != SHT_GNU_VERNEED:
            continue
        strtab = sections[link][4]
        entry = offset
        while True:
            _version, count, _file, aux, next_entry = struct.unpack_from("<HHIII", data, entry)
            aux_at = entry + aux
            for _ in range(count):
                _hash, _flags2, _other, name, next_aux = struct.unpack_from("<IHHII", data, aux_at)
                end = data.index(b"\0", strtab + name)
                label = data[strtab + name:end].decode()
                if label.startswith("GLIBC_"):
                    versions.add(tuple(int(p) for p in label[6:].split(".") if p.isdigit()))
                aux_at += next_aux
            if not next_entry:
                break
            entry += next_entry
    return versions


def zipped_size(name, data):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr(name, data)
    return buffer.tell()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--template", default="template.yaml")
    parser.add_argument("--build-dir", default=".aws-sam/build")
    args = parser.parse_args()

    functions = list(rust_functions(args.template))
    if not functions:
        print(f"{args.template}: no rust-cargolambda functions", file=sys.stderr)
        return 1
    failures = 0
    print(f"{'function':<24} {'binary':<16} {'bootstrap':>12} {'zipped':>12}  check")
    for logical_id, binary in functions:
        path = Path(args.build_dir) / logical_id / "bootstrap"
        if not path.is_file():
            print(f"{logical_id:<24} {binary or '?':<16} {'missing':>12} {'':>12}  FAIL: {path} not built")
            failures += 1
            continue
        data = path.read_bytes()
        problems = elf_problems(data)
        if not os.access(path, os.X_OK):
            problems.append("not executable")
        glibc = max(glibc_versions(data), default=None) if not problems else None
        if glibc and glibc > RUNTIME_GLIBC:
            problems.append(f"needs glibc {'.'.join(map(str, glibc))}, the runtime has "
                            f"{'.'.join(map(str, RUNTIME_GLIBC))}")
        needs = f", glibc >= {'.'.join(map(str, glibc))}" if glibc else ""
        verdict = f"aarch64 ELF executable{needs}" if not problems else "FAIL: " + ", ".join(problems)
        failures += bool(problems)
        print(f"{logical_id:<24} {binary or '?':<16} {len(data):>12,} {zipped_size('bootstrap', data):>12,}  {verdict}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
