/// The Philox4x32-10 counter-based block function (Salmon et al., "Parallel random numbers:
/// as easy as 1, 2, 3", SC 2011; the `philox4x32 10` of Random123).
///
/// A pure function of a 128-bit counter and a 64-bit key: any block of any stream can be
/// computed directly, which is what lets every worker rebuild any member's noise on its own.
public enum Philox4x32 {
    /// The block function: ten rounds over `counter` under `key`.
    ///
    /// Round: with `(hi0, lo0) = M0 · c0` and `(hi1, lo1) = M1 · c2` (32×32 → 64-bit products),
    /// the counter becomes `(hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)`; between rounds the key
    /// is bumped by `(W0, W1)` (wrapping). Constants as in Random123.
    @inlinable
    public static func block(counter: SIMD4<UInt32>, key: SIMD2<UInt32>) -> SIMD4<UInt32> {
        var c = counter
        var k = key
        for round in 0..<10 {
            if round > 0 {
                k &+= SIMD2(0x9E37_79B9, 0xBB67_AE85)
            }
            let p0 = UInt64(0xD251_1F53) &* UInt64(c[0])
            let p1 = UInt64(0xCD9E_8D57) &* UInt64(c[2])
            c = SIMD4(
                UInt32(truncatingIfNeeded: p1 >> 32) ^ c[1] ^ k[0],
                UInt32(truncatingIfNeeded: p1),
                UInt32(truncatingIfNeeded: p0 >> 32) ^ c[3] ^ k[1],
                UInt32(truncatingIfNeeded: p0)
            )
        }
        return c
    }
}
