import ChorusES
import Foundation

/// `chorus worker --mode steady-state`'s worker: each genome rebuilt through the decoder's cache
/// of recent ones (a child's parent is usually there) and scored by `fitness` with the
/// individual's number as its episodes' seed. `delay` seconds are slept before each task (fault
/// drills and the no-barrier benchmark: a stand-in for a slower environment).
final class SteadyStateGAWorker: SteadyStateWorker {
    typealias Fitness = (_ parameters: PerturbedParameters, _ number: Int) -> Float

    let decoder: GenomeDecoder
    let delay: Double
    let fitness: Fitness

    init(decoder: GenomeDecoder, delay: Double, fitness: @escaping Fitness) {
        self.decoder = decoder
        self.delay = delay
        self.fitness = fitness
    }

    func evaluate(_ individuals: [SteadyStateEngine.Individual]) -> [Float] {
        if delay > 0 { Thread.sleep(forTimeInterval: delay) }
        return individuals.map { individual in
            fitness(PerturbedParameters(layout: decoder.layout, center: decoder.parameters(of: individual.genome)), individual.number)
        }
    }
}
