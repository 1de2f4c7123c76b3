"""Rebuilds Chorus's ES noise in plain Python from its documentation (`Noise` in
Sources/ChorusES/Noise/Noise.swift) and checks it against the values the Swift tests pin
(Tests/ChorusESTests/NoiseTests.swift): proof that another language can reproduce it."""

import math
import struct

M0, M1 = 0xD2511F53, 0xCD9E8D57
W0, W1 = 0x9E3779B9, 0xBB67AE85
MASK = 0xFFFFFFFF


def philox4x32_10(counter, key):
    c0, c1, c2, c3 = counter
    k0, k1 = key
    for round_ in range(10):
        if round_ > 0:
            k0, k1 = (k0 + W0) & MASK, (k1 + W1) & MASK
        p0, p1 = M0 * c0, M1 * c2
        c0, c1, c2, c3 = (p1 >> 32) ^ c1 ^ k0, p1 & MASK, (p0 >> 32) ^ c3 ^ k1, p0 & MASK
    return c0, c1, c2, c3


def to_float32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def float32_bits(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


def box_muller(a, b):
    u = (a + 1) * 2.0**-32
    theta = 2 * math.pi * (b * 2.0**-32)
    r = math.sqrt(-2 * math.log(u))
    return to_float32(r * math.cos(theta)), to_float32(r * math.sin(theta))


def normals(seed, parameter, epoch, member, count, offset=0, reuse=1):
    key = (seed & MASK, seed >> 32)
    out = []
    for j in range(offset, offset + count):
        x = philox4x32_10((j // 4, parameter, epoch // reuse, member // 2), key)
        lanes = box_muller(x[0], x[1]) + box_muller(x[2], x[3])
        out.append(lanes[j % 4])
    return out


# Random123 kat_vectors, philox4x32 10.
def test_philox_known_answers():
    assert philox4x32_10((0, 0, 0, 0), (0, 0)) == (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)
    assert philox4x32_10((MASK,) * 4, (MASK, MASK)) == (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)


SEED = 0x0123456789ABCDEF
# Bit patterns pinned in NoiseTests.normalsKnownAnswers.
FIRST = [0xBE3A565C, 0x3DC670CF, 0x3FA8DE28, 0x3E39B901, 0xBEA5E164, 0xBDF8DB0D]
SECOND = [0xBFAD4BFF, 0xBF66025B, 0x3DCE7747, 0xBF9D5546, 0xBC947872, 0xBF144856]


def test_normals_match_the_swift_known_answers():
    assert [float32_bits(v) for v in normals(SEED, 0, 1, 0, 6)] == FIRST
    assert [float32_bits(v) for v in normals(SEED, 3, 7, 9, 6, offset=5)] == SECOND


if __name__ == "__main__":
    print([hex(float32_bits(v)) for v in normals(SEED, 0, 1, 0, 6)])
    print([hex(float32_bits(v)) for v in normals(SEED, 3, 7, 9, 6, offset=5)])
    print(normals(SEED, 0, 1, 0, 6))
