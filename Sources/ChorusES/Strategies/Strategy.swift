/// An evolution strategy's two halves: how member `i` of epoch `e` perturbs the center, and how
/// the members' shaped fitness turns into an update direction.
///
/// The built-in strategies pair their members antithetically: `2k` adds the perturbation,
/// `2k + 1` subtracts the same one (both read noise stream `k`), so their populations are even.
/// A strategy of one's own (eggroll-trainer's `sample_perturbations` and `compute_update`) may
/// perturb and update as it likes, and says whether it pairs its members.
public protocol Strategy: Sendable {
    var layout: ParameterLayout { get }
    var noise: Noise { get }
    /// Perturbation scale σ.
    var sigma: Float { get }
    /// Whether member `2k + 1` mirrors member `2k`, so a population must be even (default: yes).
    var pairsMembers: Bool { get }

    /// Member `member`'s parameters in epoch `epoch` around `center`.
    func member(_ member: Int, epoch: Int, center: [Float]) -> PerturbedParameters

    /// The ascent direction `1/(P·σ) · Σᵢ fᵢ·Eᵢ` estimated from the shaped fitness `fᵢ` of the
    /// `P = fitness.count` members of epoch `epoch` (`Eᵢ` member `i`'s unscaled perturbation).
    func gradient(epoch: Int, fitness: [Float]) -> [Float]
}

extension Strategy {
    public var pairsMembers: Bool { true }

    /// `+1` for the first member of an antithetic pair, `−1` for the second.
    static func sign(of member: Int) -> Float {
        member % 2 == 0 ? 1 : -1
    }

    /// Member `member`'s full-shape noise for parameter `id`.
    func denseNoise(_ id: Int, epoch: Int, member: Int) -> [Float] {
        noise.stream(parameter: id, epoch: epoch, member: member).normals(count: layout.entries[id].count)
    }

    /// `(f₂ₖ − f₂ₖ₊₁) / (P·σ)` for each pair `k`: the weight of pair `k`'s shared noise.
    func pairWeights(_ fitness: [Float]) -> [Float] {
        precondition(!fitness.isEmpty && fitness.count % 2 == 0, "the population must be even (antithetic pairs)")
        let scale = 1 / (Float(fitness.count) * sigma)
        return stride(from: 0, to: fitness.count, by: 2).map { (fitness[$0] - fitness[$0 + 1]) * scale }
    }

    /// Adds `Σₖ wₖ·εₖ` over the pairs to parameter `id`'s slice of `gradient`.
    func accumulateDenseGradient(_ id: Int, epoch: Int, pairWeights: [Float], into gradient: inout [Float]) {
        let entry = layout.entries[id]
        gradient.withUnsafeMutableBufferPointer { gradient in
            let target = UnsafeMutableBufferPointer(rebasing: gradient[entry.range])
            for (pair, weight) in pairWeights.enumerated() where weight != 0 {
                denseNoise(id, epoch: epoch, member: 2 * pair).withUnsafeBufferPointer { noise in
                    Kernels.axpy(weight, noise, target)
                }
            }
        }
    }
}
