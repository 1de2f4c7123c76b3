/// A compiled MuJoCo model (`mjModel`), loaded from an MJCF file once and then only read, so any
/// number of ``MuJoCoSimulation``s on any threads can share it.
public final class MuJoCoModel: @unchecked Sendable {
    public let library: MuJoCoLibrary
    /// The MJCF file it was compiled from.
    public let file: String
    /// Sizes of the position, velocity and control vectors (`nq`, `nv`, `nu`).
    public let positionCount: Int
    public let velocityCount: Int
    public let controlCount: Int
    /// The simulation time step (`opt.timestep`), in seconds.
    public let timestep: Double
    /// The state `mj_resetData` starts from: `qpos0` and zero velocities.
    public let initialPositions: [Double]
    public let initialVelocities: [Double]

    /// Owned: deleted with this object; never changed after `init`.
    let pointer: OpaquePointer

    public init(file: String, library: MuJoCoLibrary) throws {
        var error = [CChar](repeating: 0, count: 1000)
        let loaded = error.withUnsafeMutableBufferPointer { buffer in
            library.loadXML(file, nil, buffer.baseAddress, Int32(buffer.count))
        }
        guard let loaded else {
            let reason = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw MuJoCoError("MuJoCo could not load \(file): \(reason)")
        }
        self.library = library
        self.file = file
        pointer = loaded
        positionCount = Int(library.stateSize(loaded, MuJoCoLibrary.StateComponent.positions.rawValue))
        velocityCount = Int(library.stateSize(loaded, MuJoCoLibrary.StateComponent.velocities.rawValue))
        controlCount = Int(library.stateSize(loaded, MuJoCoLibrary.StateComponent.controls.rawValue))
        // One step from time 0 advances the clock by exactly `opt.timestep`.
        let probe = MuJoCoSimulation(pointer: loaded, library: library,
                                         counts: (positionCount, velocityCount, controlCount))
        initialPositions = probe.positions
        initialVelocities = probe.velocities
        probe.step(controls: [Double](repeating: 0, count: controlCount), frames: 1)
        timestep = probe.time
    }

    deinit {
        library.deleteModel(pointer)
    }

    /// A fresh simulation of this model, in the reset state.
    public func makeSimulation() -> MuJoCoSimulation {
        MuJoCoSimulation(model: self)
    }
}
