#!/usr/bin/python3
"""Writes the gguf_reader fuzzer's seed corpus (tests/fuzz/corpus/gguf_reader): tiny GGUF
files, one per feature of the format the reader handles. Run it again after changing it:

    tests/fuzz/make_gguf_seeds.py
"""

import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "gguf_reader")

U8, I8, U16, I16, U32, I32, F32, BOOL, STR, ARR, U64, I64, F64 = range(13)
PACK = {U8: "<B", I8: "<b", U16: "<H", I16: "<h", U32: "<I", I32: "<i", F32: "<f",
        BOOL: "<B", U64: "<Q", I64: "<q", F64: "<d"}
T_F32, T_F16, T_Q4_0, T_Q8_0 = 0, 1, 2, 8


def string(text, version=3):
    data = text.encode()
    return struct.pack("<Q" if version >= 2 else "<I", len(data)) + data


def value(kind, v, version=3):
    if kind == STR:
        return string(v, version)
    if kind == ARR:
        element_kind, items = v
        count = struct.pack("<Q" if version >= 2 else "<I", len(items))
        return struct.pack("<I", element_kind) + count + b"".join(
            value(element_kind, item, version) for item in items)
    return struct.pack(PACK[kind], v)


def gguf(metadata, tensors, version=3, alignment=32):
    """metadata: [(key, kind, value)]; tensors: [(name, dims, type, data bytes)]."""
    wide = "<Q" if version >= 2 else "<I"
    head = struct.pack("<II", 0x46554747, version)
    head += struct.pack(wide, len(tensors)) + struct.pack(wide, len(metadata))
    for key, kind, v in metadata:
        head += string(key, version) + struct.pack("<I", kind) + value(kind, v, version)
    offset, blobs = 0, b""
    for name, dims, kind, data in tensors:
        head += string(name, version) + struct.pack("<I", len(dims))
        head += b"".join(struct.pack(wide, d) for d in dims)
        head += struct.pack("<IQ", kind, offset)
        padded = data + b"\0" * (-len(data) % alignment)
        blobs += padded
        offset += len(padded)
    head += b"\0" * (-len(head) % alignment)
    return head + blobs


def f16(values):
    return b"".join(struct.pack("<e", v) for v in values)


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def main():
    os.makedirs(OUT, exist_ok=True)
    write("f32_tensor", gguf([("general.architecture", STR, "llama")],
                             [("w", [4, 2], T_F32, struct.pack("<8f", *range(8)))]))
    write("f16_tensor", gguf([], [("h", [6], T_F16, f16([1.0, -2.0, 0.5, 65504, 0, -0.0]))]))
    # Alignment 1: the F16 tensor starts at an odd address.
    write("f16_alignment_1", gguf([("general.alignment", U32, 1)],
                                  [("x", [1], T_F32, b"\1\2\3\4"),
                                   ("h", [3], T_F16, f16([1.0, 2.0, 3.0]))], alignment=1))
    q8 = struct.pack("<e", 0.5) + bytes(range(32))
    q4 = struct.pack("<e", 0.25) + bytes(range(16))
    write("quantized", gguf([], [("q8", [32, 1], T_Q8_0, q8), ("q4", [32], T_Q4_0, q4)]))
    write("all_value_types", gguf([
        ("u8", U8, 1), ("i8", I8, -1), ("u16", U16, 2), ("i16", I16, -2), ("u32", U32, 3),
        ("i32", I32, -3), ("f32", F32, 1.5), ("bool", BOOL, 1), ("str", STR, "text"),
        ("u64", U64, 2**64 - 1), ("i64", I64, -2**63), ("f64", F64, 2.5),
        ("arr", ARR, (ARR, [(U8, [1, 2]), (STR, ["a"])]))], []))
    write("version1", gguf([("general.name", STR, "v1"), ("n", U32, 7)],
                           [("w", [2], T_F32, struct.pack("<2f", 1, 2))], version=1))
    write("tokenizer", gguf([
        ("tokenizer.ggml.model", STR, "llama"),
        ("tokenizer.ggml.tokens", ARR, (STR, ["<unk>", "<s>", "</s>", "<0x41>", "\u2581a"])),
        ("tokenizer.ggml.scores", ARR, (F32, [0.0, 0.0, 0.0, 0.0, -1.0])),
        ("tokenizer.ggml.token_type", ARR, (I32, [2, 3, 3, 6, 1])),
        ("tokenizer.ggml.bos_token_id", U32, 1)], []))


if __name__ == "__main__":
    main()
