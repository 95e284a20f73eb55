#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_sgx into fuzz/corpus/sgx/.

Small synthetic inputs only (the real samples in ../shared/samples/sgx are
replayed from there): SIGSTRUCTs signed with a fresh RSA-3072 e=3 key, and
minimal ELF32/ELF64 files carrying them in .note.sgxmeta (one or several
metadata entries, agreeing or not, extended section numbering) or .oeinfo,
plus a few broken ones. Same layouts as tests/sgxsynth.c.

Run once from the repository root: python3 fuzz/gen_sgx_seeds.py
(needs python3-cryptography).
"""
import os
import struct

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

OUT = os.path.join(os.path.dirname(__file__), "corpus", "sgx")
KEY = rsa.generate_private_key(public_exponent=3, key_size=3072)
N = KEY.public_key().public_numbers().n


def body(flags=0x4, typ=0):
    ss = bytearray(1808)
    ss[0:16] = bytes.fromhex("06000000e10000000000010000000000")
    struct.pack_into("<I", ss, 12, typ)
    struct.pack_into("<I", ss, 20, 0x20250131)
    ss[24:40] = bytes.fromhex("01010000600000006000000001000000")
    struct.pack_into("<I", ss, 904, 0xFFFFFFFF)
    struct.pack_into("<QQQQ", ss, 928, flags, 0x3, 2**64 - 1,
                     0xFFFFFFFFFFFFFFFB)
    ss[960:992] = bytes((7 * i + 1) & 0xFF for i in range(32))
    struct.pack_into("<HH", ss, 1024, 7, 3)
    return ss


def sign(ss):
    ss[128:512] = N.to_bytes(384, "little")
    struct.pack_into("<I", ss, 512, 3)
    sig = KEY.sign(bytes(ss[0:128] + ss[900:1028]), padding.PKCS1v15(),
                   hashes.SHA256())
    s = int.from_bytes(sig, "big")
    q1, r = divmod(s * s, N)
    q2 = (r * s) // N
    ss[516:900] = s.to_bytes(384, "little")
    ss[1040:1424] = q1.to_bytes(384, "little")
    ss[1424:1808] = q2.to_bytes(384, "little")
    return bytes(ss)


def sgxmeta(sigs, entry=1872, tail=0, align=4):
    desc = bytearray()
    versions = [(2, 4), (2, 1), (1, 4), (1, 3)]
    for i, ss in enumerate(sigs):
        m = bytearray(entry)
        major, minor = versions[i % 4]
        struct.pack_into("<QQIIIIIIQQQ", m, 0, 0x86A80294635D0E4C,
                         (major << 32) | minor, entry, 1, 1, 2632, 0, 1,
                         0x200000, 0x4, 0xE7)
        m[64:64 + 1808] = ss
        desc += m
    desc += bytes(tail)
    note = struct.pack("<III", 13, len(desc), 1) + b"sgx_metadata\0" + desc
    if align > 1:
        note += bytes((-len(note)) % align)
    return bytes(note)


def oeinfo(ss, size=1960):
    p = bytearray(size)
    struct.pack_into("<IIQQQHHI", p, 0, 1960, 2, 256, 16, 4, 7, 3, 0)
    struct.pack_into("<QQ", p, 72, 0x2, 0x3)
    p[144:144 + 1808] = ss
    return bytes(p)


def elf(cls, sections, extended=False):
    """sections: list of (name, type, data, align)."""
    eh, she = (64, 64) if cls == 64 else (52, 40)
    names = b"\0"
    offs = []
    for name, _, _, _ in sections + [(".shstrtab", 3, b"", 1)]:
        offs.append(len(names))
        names += name.encode() + b"\0"
    out = bytearray(eh)
    placed = []
    for name, typ, data, align in sections:
        if align > 1:
            out += bytes((-len(out)) % align)
        placed.append((len(out), len(data)))
        out += data
    strtab_off = len(out)
    out += names
    out += bytes((-len(out)) % 8)
    shoff = len(out)
    shnum = len(sections) + 2
    strndx = shnum - 1

    def shdr(name, typ, off, size, link, align):
        if cls == 64:
            return struct.pack("<IIQQQQIIQQ", name, typ, 0, 0, off, size,
                               link, 0, align, 0)
        return struct.pack("<IIIIIIIIII", name, typ, 0, 0, off, size, link,
                           0, align, 0)

    out += shdr(0, 0, 0, shnum if extended else 0,
                strndx if extended else 0, 0)
    for i, (name, typ, data, align) in enumerate(sections):
        out += shdr(offs[i], typ, placed[i][0], placed[i][1], 0, align)
    out += shdr(offs[-1], 3, strtab_off, len(names), 0, 1)
    out[0:7] = b"\x7fELF" + bytes([2 if cls == 64 else 1, 1, 1])
    hn = 0 if extended else shnum
    hx = 0xFFFF if extended else strndx
    if cls == 64:
        struct.pack_into("<HHI", out, 16, 3, 62, 1)
        struct.pack_into("<Q", out, 40, shoff)
        struct.pack_into("<HHHHHH", out, 52, 64, 0, 0, 64, hn, hx)
    else:
        struct.pack_into("<HHI", out, 16, 3, 3, 1)
        struct.pack_into("<I", out, 32, shoff)
        struct.pack_into("<HHHHHH", out, 40, 52, 0, 0, 40, hn, hx)
    return bytes(out)


def main():
    os.makedirs(OUT, exist_ok=True)
    prod = sign(body())
    dbg = sign(body(flags=0x6))
    typed = sign(body(typ=0x80000000))
    text = (".text", 1, b"\xc3" + bytes(15), 16)
    seeds = {
        "sigstruct-prod": prod,
        "sigstruct-debug": dbg,
        "sigstruct-debug-signed": typed,
        "sigstruct-zero": bytes(1808),
        "elf64-sgxmeta-1": elf(64, [text, (".note.sgxmeta", 7,
                                           sgxmeta([prod]), 4)]),
        "elf64-sgxmeta-3": elf(64, [text, (".note.sgxmeta", 7,
                                           sgxmeta([prod] * 3), 4)]),
        "elf64-sgxmeta-disagree": elf(64, [(".note.sgxmeta", 7,
                                            sgxmeta([prod, dbg]), 4)]),
        "elf64-sgxmeta-align1-tail": elf(64, [(".note.sgxmeta", 7,
                                               sgxmeta([prod], tail=40,
                                                       align=1), 1)]),
        "elf64-sgxmeta-unsigned": elf(64, [(".note.sgxmeta", 7,
                                            sgxmeta([], tail=1872), 4)]),
        "elf32-sgxmeta-1": elf(32, [text, (".note.sgxmeta", 7,
                                           sgxmeta([dbg]), 4)]),
        "elf64-extended": elf(64, [(".note.sgxmeta", 7, sgxmeta([prod]), 4)],
                              extended=True),
        "elf32-extended": elf(32, [(".oeinfo", 1, oeinfo(prod), 8)],
                              extended=True),
        "elf64-oeinfo": elf(64, [text, (".oeinfo", 1, oeinfo(dbg), 8)]),
        "elf64-oeinfo-ego": elf(64, [(".oeinfo", 1, oeinfo(prod, 2100), 8)]),
        "elf32-oeinfo": elf(32, [(".oeinfo", 1, oeinfo(prod), 8)]),
        "elf64-both": elf(64, [(".note.sgxmeta", 7, sgxmeta([prod]), 4),
                               (".oeinfo", 1, oeinfo(prod), 8)]),
        "elf64-none": elf(64, [text]),
        "elf-truncated-header": b"\x7fELF\x02\x01\x01" + bytes(20),
        "elf-bigendian": b"\x7fELF\x02\x02\x01" + bytes(57),
        "not-elf": b"not an enclave\n",
    }
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
