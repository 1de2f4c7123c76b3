/// One simulated world of a ``MuJoCoModel`` (an `mjData`): its state, stepped by `mj_step`.
/// Not shareable between threads; each thread evaluating policies makes its own.
public final class MuJoCoSimulation {
    private let library: MuJoCoLibrary
    /// Keeps the model alive as long as this simulation (nil only inside `MuJoCoModel.init`).
    private let model: MuJoCoModel?
    /// Borrowed from `model` (or from the model being built), valid while this object lives.
    private let modelPointer: OpaquePointer
    /// Owned: deleted with this object.
    private let data: OpaquePointer
    public let positionCount: Int
    public let velocityCount: Int
    public let controlCount: Int
    private var buffer: [Double]

    convenience init(model: MuJoCoModel) {
        self.init(pointer: model.pointer, library: model.library,
                      counts: (model.positionCount, model.velocityCount, model.controlCount), model: model)
    }

    init(pointer: OpaquePointer, library: MuJoCoLibrary, counts: (Int, Int, Int), model: MuJoCoModel? = nil) {
        // `mj_makeData` returns nil only when memory runs out.
        guard let data = library.makeData(pointer) else { fatalError("MuJoCo could not allocate a simulation") }
        self.library = library
        self.model = model
        modelPointer = pointer
        self.data = data
        (positionCount, velocityCount, controlCount) = counts
        buffer = [Double](repeating: 0, count: max(counts.0 + counts.1, counts.2, 1))
    }

    deinit {
        library.deleteData(data)
    }

    /// `mj_resetData`: the model's reference state, time 0, no controls, warm starts cleared.
    public func reset() {
        library.resetData(modelPointer, data)
    }

    /// Sets positions and velocities and recomputes what depends on them (`mj_forward`), as
    /// Gymnasium's `MujocoEnv.set_state` does.
    public func setState(positions: [Double], velocities: [Double]) {
        precondition(positions.count == positionCount && velocities.count == velocityCount,
                     "the model has \(positionCount) positions and \(velocityCount) velocities")
        let state = positions + velocities
        state.withUnsafeBufferPointer { values in
            library.setState(modelPointer, data, values.baseAddress, Self.components(.positions, .velocities))
        }
        library.forward(modelPointer, data)
    }

    /// Applies `controls` and advances `frames` time steps.
    public func step(controls: [Double], frames: Int) {
        precondition(controls.count == controlCount, "the model has \(controlCount) controls, got \(controls.count)")
        controls.withUnsafeBufferPointer { values in
            library.setState(modelPointer, data, values.baseAddress, Self.components(.controls))
        }
        for _ in 0 ..< frames { library.step(modelPointer, data) }
    }

    /// `qpos`.
    public var positions: [Double] { read(.positions, count: positionCount) }
    /// `qvel`.
    public var velocities: [Double] { read(.velocities, count: velocityCount) }
    /// Simulated seconds since the reset.
    public var time: Double { read(.time, count: 1)[0] }

    private func read(_ component: MuJoCoLibrary.StateComponent, count: Int) -> [Double] {
        buffer.withUnsafeMutableBufferPointer { values in
            library.getState(modelPointer, data, values.baseAddress, component.rawValue)
        }
        return Array(buffer.prefix(count))
    }

    private static func components(_ parts: MuJoCoLibrary.StateComponent...) -> Int32 {
        parts.reduce(0) { $0 | $1.rawValue }
    }
}
