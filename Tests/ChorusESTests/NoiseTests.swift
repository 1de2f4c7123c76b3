import Testing
@testable import ChorusES

@Suite struct NoiseTests {
    /// Random123's `kat_vectors` for `philox4x32 10`: counter, key, expected output.
    @Test(arguments: [
        (SIMD4<UInt32>(0, 0, 0, 0), SIMD2<UInt32>(0, 0), SIMD4<UInt32>(0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8)),
        (SIMD4<UInt32>(repeating: .max), SIMD2<UInt32>(repeating: .max), SIMD4<UInt32>(0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd)),
        (SIMD4<UInt32>(0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344), SIMD2<UInt32>(0xa409_3822, 0x299f_31d0),
         SIMD4<UInt32>(0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1)),
    ])
    func philoxKnownAnswers(counter: SIMD4<UInt32>, key: SIMD2<UInt32>, expected: SIMD4<UInt32>) {
        #expect(Philox4x32.block(counter: counter, key: key) == expected)
    }

    /// The first normals of two streams; `Tests/Interop/test_noise_reference.py` derives the same
    /// numbers in plain Python from the documentation of ``Noise``.
    @Test func normalsKnownAnswers() {
        let noise = Noise(seed: 0x0123_4567_89AB_CDEF)
        let first = noise.stream(parameter: 0, epoch: 1, member: 0).normals(count: 6)
        let second = noise.stream(parameter: 3, epoch: 7, member: 9).normals(count: 6, from: 5)
        #expect(first.map(\.bitPattern) == Self.firstExpected)
        #expect(second.map(\.bitPattern) == Self.secondExpected)
    }

    static let firstExpected: [UInt32] = [0xbe3a_565c, 0x3dc6_70cf, 0x3fa8_de28, 0x3e39_b901, 0xbea5_e164, 0xbdf8_db0d]
    static let secondExpected: [UInt32] = [0xbfad_4bff, 0xbf66_025b, 0x3dce_7747, 0xbf9d_5546, 0xbc94_7872, 0xbf14_4856]

    @Test func anyWindowOfAStreamMatchesTheWholeStream() {
        let stream = Noise(seed: 42).stream(parameter: 2, epoch: 5, member: 6)
        let whole = stream.normals(count: 37)
        for offset in 0..<9 {
            for count in [0, 1, 3, 4, 5, 17] where offset + count <= whole.count {
                #expect(stream.normals(count: count, from: offset) == Array(whole[offset ..< offset + count]))
            }
        }
    }

    @Test func antitheticPairsShareAStreamAndReuseSpansEpochs() {
        let noise = Noise(seed: 9, reuse: 3)
        let member4 = noise.stream(parameter: 1, epoch: 6, member: 4).normals(count: 16)
        #expect(noise.stream(parameter: 1, epoch: 6, member: 5).normals(count: 16) == member4)
        #expect(noise.stream(parameter: 1, epoch: 8, member: 4).normals(count: 16) == member4)
        #expect(noise.stream(parameter: 1, epoch: 9, member: 4).normals(count: 16) != member4)
        #expect(noise.stream(parameter: 1, epoch: 6, member: 6).normals(count: 16) != member4)
    }

    @Test func normalsHaveStandardMoments() {
        let values = Noise(seed: 1).stream(parameter: 0, epoch: 1, member: 0).normals(count: 200_000).map(Double.init)
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        let fourth = values.reduce(0) { $0 + pow4($1 - mean) } / Double(values.count)
        #expect(abs(mean) < 0.01)
        #expect(abs(variance - 1) < 0.01)
        #expect(abs(fourth / (variance * variance) - 3) < 0.05)
        #expect(values.filter { abs($0) > 1.96 }.count.isNear(0.05 * 200_000, tolerance: 0.1))
    }

    /// Streams that differ in one key component only are uncorrelated.
    @Test func streamsDifferingInOneComponentAreUncorrelated() {
        let count = 50_000
        let base = Noise(seed: 5).stream(parameter: 0, epoch: 1, member: 0).normals(count: count)
        let others = [
            Noise(seed: 6).stream(parameter: 0, epoch: 1, member: 0),
            Noise(seed: 5).stream(parameter: 1, epoch: 1, member: 0),
            Noise(seed: 5).stream(parameter: 0, epoch: 2, member: 0),
            Noise(seed: 5).stream(parameter: 0, epoch: 1, member: 2),
        ].map { $0.normals(count: count) }
        for other in others {
            #expect(abs(correlation(base, other)) < 0.02)
        }
        // Neighbouring elements of one stream are uncorrelated too.
        #expect(abs(correlation(Array(base.dropLast()), Array(base.dropFirst()))) < 0.02)
    }

    @Test func philoxRandomIsReproducibleAndUniform() {
        var a = PhiloxRandom(seed: 3, stream: 7)
        var b = PhiloxRandom(seed: 3, stream: 7)
        var c = PhiloxRandom(seed: 3, stream: 8)
        let fromA = (0..<100).map { _ in a.next() }
        #expect(fromA == (0..<100).map { _ in b.next() })
        #expect(fromA != (0..<100).map { _ in c.next() })
        var d = PhiloxRandom(seed: 11, stream: 0)
        let uniforms = (0..<100_000).map { _ in d.uniform(-0.05, 0.05) }
        #expect(uniforms.allSatisfy { $0 >= -0.05 && $0 < 0.05 })
        #expect(abs(uniforms.reduce(0, +) / 100_000) < 0.001)
    }
}

private func pow4(_ x: Double) -> Double { x * x * x * x }

func correlation(_ a: [Float], _ b: [Float]) -> Double {
    let n = Double(a.count)
    let meanA = a.reduce(0.0) { $0 + Double($1) } / n
    let meanB = b.reduce(0.0) { $0 + Double($1) } / n
    var covariance = 0.0, varianceA = 0.0, varianceB = 0.0
    for (x, y) in zip(a, b) {
        covariance += (Double(x) - meanA) * (Double(y) - meanB)
        varianceA += (Double(x) - meanA) * (Double(x) - meanA)
        varianceB += (Double(y) - meanB) * (Double(y) - meanB)
    }
    return covariance / (varianceA * varianceB).squareRoot()
}

extension Int {
    func isNear(_ target: Double, tolerance: Double) -> Bool {
        abs(Double(self) - target) <= tolerance * target
    }
}
