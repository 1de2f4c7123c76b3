/// Rebuilds a genome's parameters, θ = θ₀(seed₀) + σ·Σᵢ ε(seedᵢ), where ε(s) is the standard
/// normal noise of ``Noise`` with seed `s` (epoch 0, member 0, the layout's parameter ids).
///
/// Mutations are added one at a time in genome order, in `Float`, so a rebuild from a cached
/// prefix gives the same bits as one from scratch. The cache keeps the parameters of recently
/// built genomes (least recently used out first): a child, its parent plus one seed, then
/// costs one mutation instead of its whole history. One decoder per thread: it is not shared.
public final class GenomeDecoder {
    /// How seed₀ makes the starting parameters θ₀.
    public enum Initialization: Sendable, Hashable {
        /// θ₀ = center + σ·ε(seed₀): every individual starts near given parameters.
        case around([Float])
        /// θ₀ = ε(seed₀) scaled by 1/√columns in each matrix; vectors start at zero.
        case scaledNormal
        /// θ₀ = these parameters, whatever seed₀ is: a population rebased onto its common
        /// ancestor (a genome's first seed then stands for the ancestor's whole list).
        case exactly([Float])
    }

    public let layout: ParameterLayout
    public let sigma: Float
    public let initialization: Initialization
    public let cacheCapacity: Int
    /// Rebuilds that found the genome itself, or a prefix of it, in the cache; and those that did not.
    public private(set) var hits = 0, misses = 0
    /// Noise vectors drawn so far (one per seed replayed).
    public private(set) var seedsReplayed = 0

    private var cache: [Genome: (parameters: [Float], lastUse: Int)] = [:]
    private var clock = 0

    public init(layout: ParameterLayout, sigma: Float, initialization: Initialization, cacheCapacity: Int = 128) {
        switch initialization {
        case .around(let parameters), .exactly(let parameters):
            precondition(parameters.count == layout.count, "the starting parameters do not fit the layout")
        case .scaledNormal:
            break
        }
        precondition(cacheCapacity >= 0)
        self.layout = layout
        self.sigma = sigma
        self.initialization = initialization
        self.cacheCapacity = cacheCapacity
    }

    /// The parameters of `genome`.
    public func parameters(of genome: Genome) -> [Float] {
        clock += 1
        var parameters: [Float]
        var next: Int
        if let (length, cached) = longestCachedPrefix(of: genome) {
            hits += 1
            parameters = cached
            next = length
        } else {
            misses += 1
            parameters = start(from: genome.seeds[0])
            next = 1
        }
        while next < genome.seeds.count {
            addNoise(seed: genome.seeds[next], scale: { _ in sigma }, to: &parameters)
            next += 1
        }
        remember(genome, parameters)
        return parameters
    }

    /// A decoder that starts from the parameters of `ancestor`, a prefix every genome it will
    /// decode shares, and names it by its last seed (see ``Initialization/exactly(_:)``). The
    /// cached genomes that descend from it move over, renamed, with their recency, so a child
    /// of one still costs a single mutation.
    func rebased(onto ancestor: Genome) -> GenomeDecoder {
        let decoder = GenomeDecoder(layout: layout, sigma: sigma, initialization: .exactly(parameters(of: ancestor)),
                                    cacheCapacity: cacheCapacity)
        let length = ancestor.seeds.count
        for (genome, entry) in cache where genome.seeds.starts(with: ancestor.seeds) {
            decoder.cache[Genome(seeds: Array(genome.seeds[(length - 1)...]))] = entry
        }
        decoder.clock = clock
        return decoder
    }

    /// Forgets every cached genome.
    public func removeAll() {
        cache.removeAll()
    }

    private func start(from seed: UInt64) -> [Float] {
        switch initialization {
        case .around(let center):
            var parameters = center
            addNoise(seed: seed, scale: { _ in sigma }, to: &parameters)
            return parameters
        case .scaledNormal:
            var parameters = [Float](repeating: 0, count: layout.count)
            addNoise(seed: seed, scale: { entry in entry.columns.map { 1 / Float($0).squareRoot() } ?? 0 },
                     to: &parameters)
            return parameters
        case .exactly(let parameters):
            return parameters
        }
    }

    /// `parameters += scale(entry) · ε(seed)`, entry by entry, element by element.
    private func addNoise(seed: UInt64, scale: (ParameterLayout.Entry) -> Float, to parameters: inout [Float]) {
        seedsReplayed += 1
        let noise = Noise(seed: seed)
        for (id, entry) in layout.entries.enumerated() {
            let factor = scale(entry)
            guard factor != 0 else { continue }
            let epsilon = noise.stream(parameter: id, epoch: 0, member: 0).normals(count: entry.count)
            for (index, value) in zip(entry.range, epsilon) { parameters[index] += factor * value }
        }
    }

    private func longestCachedPrefix(of genome: Genome) -> (Int, [Float])? {
        guard !cache.isEmpty else { return nil }
        for length in stride(from: genome.seeds.count, through: 1, by: -1) {
            let prefix = Genome(seeds: Array(genome.seeds[..<length]))
            if let entry = cache[prefix] {
                cache[prefix]!.lastUse = clock
                return (length, entry.parameters)
            }
        }
        return nil
    }

    private func remember(_ genome: Genome, _ parameters: [Float]) {
        guard cacheCapacity > 0 else { return }
        cache[genome] = (parameters, clock)
        if cache.count > cacheCapacity, let oldest = cache.min(by: { $0.value.lastUse < $1.value.lastUse })?.key {
            cache[oldest] = nil
        }
    }
}
