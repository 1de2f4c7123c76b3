import ArgumentParser
import ChorusES
import Foundation

/// Where MuJoCo and Gymnasium's model files are: options, else the environment variables
/// `CHORUS_MUJOCO_LIBRARY` and `CHORUS_MUJOCO_MODELS` (`make mujoco-paths` prints both for the
/// venv that `make deps` installs).
struct MuJoCoOptions: ParsableArguments {
    @Option(help: "MuJoCo's libmujoco.so (default: $CHORUS_MUJOCO_LIBRARY).")
    var mujocoLibrary: String?
    @Option(help: "Folder of Gymnasium's MuJoCo model files, gymnasium/envs/mujoco/assets (default: $CHORUS_MUJOCO_MODELS).")
    var mujocoModels: String?

    /// `task` on its compiled model, with a policy of `hidden` layers.
    func loadTask(_ task: Locomotion, hidden: [Int] = [], seed: UInt64 = 0) throws -> LocomotionTask {
        let environment = ProcessInfo.processInfo.environment
        guard let library = mujocoLibrary ?? environment["CHORUS_MUJOCO_LIBRARY"] else {
            throw CommandFailure("MuJoCo's library: pass --mujoco-library or set CHORUS_MUJOCO_LIBRARY (`make mujoco-paths` prints it)")
        }
        guard let models = mujocoModels ?? environment["CHORUS_MUJOCO_MODELS"] else {
            throw CommandFailure("Gymnasium's model files: pass --mujoco-models or set CHORUS_MUJOCO_MODELS (`make mujoco-paths` prints it)")
        }
        do {
            let model = try MuJoCoModel(file: models + "/" + task.modelFile, library: try MuJoCoLibrary(path: library))
            return try LocomotionTask(task: task, model: model, hidden: hidden, seed: seed)
        } catch let error as MuJoCoError {
            throw CommandFailure(error.description)
        }
    }
}
