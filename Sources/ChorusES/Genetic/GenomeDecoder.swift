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
    }

    public let layout: ParameterLayout
    public let sigma: Float
    public let initialization: Initialization
    public let cacheCapacity: Int
    /// Rebuilds that found the genome itself, or a prefix of it, in the cache; and those that did not.
    public private(set) var hits = 0, misses = 0
    /// Noise vectors drawn so far (one per seed replayed).
    public private(set) var seedsReplayed = 0
    /// Parameters of lineage nodes by their last seed: a genome whose first seed is one of these
    /// starts from them instead of from the initialization (``GAState/compacted(using:)``).
    public private(set) var anchors: [UInt64: [Float]] = [:]

    private var cache: [Genome: (parameters: [Float], lastUse: Int)] = [:]
    private var clock = 0

    public init(layout: ParameterLayout, sigma: Float, initialization: Initialization, cacheCapacity: Int = 128) {
        switch initialization {
        case .around(let parameters):
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

    /// Uses `anchors` (a ``GAState``'s) from now on. The cache stays valid: a seed names one
    /// lineage node, so a genome means the same individual whether its first seed is an anchor
    /// or, for the first node of a lineage, the seed of the initialization.
    public func use(anchors: [UInt64: [Float]]) {
        guard Set(anchors.keys) != Set(self.anchors.keys) else { return }
        precondition(anchors.values.allSatisfy { $0.count == layout.count }, "anchors must fit the layout")
        self.anchors = anchors
    }

    /// The parameters of lineage node `node`, for an anchor at it: the cached genomes that
    /// descend from it are renamed to start at its last seed, as the compacted genomes will,
    /// with their recency, so a child of one still costs a single mutation.
    func anchor(at node: Genome) -> [Float] {
        let parameters = self.parameters(of: node)
        let length = node.seeds.count
        for (genome, entry) in cache where genome.seeds.count > length && genome.seeds.starts(with: node.seeds) {
            cache[genome] = nil
            cache[Genome(seeds: Array(genome.seeds[(length - 1)...]))] = entry
        }
        return parameters
    }

    /// Forgets every cached genome.
    public func removeAll() {
        cache.removeAll()
    }

    private func start(from seed: UInt64) -> [Float] {
        if let anchored = anchors[seed] { return anchored }
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
