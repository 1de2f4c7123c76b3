/// What every GA worker holds and the coordinator checkpoints: the current population (the
/// elite first after generation 0) as seed lists, and the anchors they start from.
///
/// Genomes do not grow without bound: after each generation the population is compacted
/// (``compacted(using:)``), so no genome is longer than ``maximumGenomeLength`` seeds. An anchor
/// is a lineage node's parameters, named by the node's last seed; a genome whose first seed
/// names an anchor starts there. Seeds are 64-bit draws from `(run seed, generation, member)`,
/// so no two nodes share one.
public struct GAState: Sendable, Hashable, Codable {
    public var population: [Genome]
    /// The anchors the genomes start from, by seed (empty until a compaction made some).
    public var anchors: [UInt64: [Float]]

    /// The longest genome a compacted population holds.
    public static let maximumGenomeLength = 16

    public init(population: [Genome], anchors: [UInt64: [Float]] = [:]) {
        self.population = population
        self.anchors = anchors
    }

    /// This population compacted, with `decoder` switched to the result's anchors. First, when
    /// the population has a common ancestor with a mutation or more, that ancestor becomes an
    /// anchor and every genome keeps what came after it (truncation selection keeps it recent,
    /// so usually this is all it takes). Then a genome still longer than
    /// ``maximumGenomeLength`` (a lineage the common ancestor does not cover, such as an elite
    /// carried over from long ago beside another lineage) is anchored at its parent. Anchors no
    /// genome starts from are dropped. Mutations are added in genome order either way, so every
    /// individual decodes to the same bits, and every worker compacts alike.
    public func compacted(using decoder: GenomeDecoder) -> GAState {
        var anchors = self.anchors
        var genomes = population.map(\.seeds)
        decoder.use(anchors: anchors)
        let shortest = genomes.map(\.count).min() ?? 0
        var common = 0
        while common < shortest, genomes.allSatisfy({ $0[common] == genomes[0][common] }) { common += 1 }
        if common >= 2 {
            anchors[genomes[0][common - 1]] = decoder.anchor(at: Genome(seeds: Array(genomes[0][..<common])))
            genomes = genomes.map { Array($0[(common - 1)...]) }
            decoder.use(anchors: anchors)
        }
        for index in genomes.indices where genomes[index].count > Self.maximumGenomeLength {
            let parent = Array(genomes[index].dropLast())
            if anchors[parent.last!] == nil { anchors[parent.last!] = decoder.anchor(at: Genome(seeds: parent)) }
            genomes[index] = [parent.last!, genomes[index].last!]
        }
        let used = Set(genomes.map { $0[0] })
        anchors = anchors.filter { used.contains($0.key) }
        decoder.use(anchors: anchors)
        return GAState(population: genomes.map { Genome(seeds: $0) }, anchors: anchors)
    }
}
