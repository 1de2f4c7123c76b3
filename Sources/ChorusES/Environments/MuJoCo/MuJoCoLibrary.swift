#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The MuJoCo C library (`libmujoco.so`, as the PyPI `mujoco` wheels ship it), opened at run
/// time: Chorus neither builds nor links against MuJoCo, so only the runs that simulate need it.
///
/// Only functions are used, never a struct's fields, so nothing depends on the layout of
/// `mjModel` or `mjData` in a particular MuJoCo version: sizes come from `mj_stateSize`, the
/// state moves through `mj_getState`/`mj_setState`.
///
/// Invariants of the unsafe part (this file and ``MuJoCoSimulation``): the function pointers are
/// looked up once and never change; the library is never closed (MuJoCo keeps global state, and
/// models may outlive any one owner); the functions used are safe to call from several threads
/// on distinct `mjData` with a shared, unchanging `mjModel`.
public final class MuJoCoLibrary: @unchecked Sendable {
    typealias LoadXML = @convention(c) (UnsafePointer<CChar>?, OpaquePointer?, UnsafeMutablePointer<CChar>?, Int32) -> OpaquePointer?
    typealias MakeData = @convention(c) (OpaquePointer?) -> OpaquePointer?
    typealias ModelAndData = @convention(c) (OpaquePointer?, OpaquePointer?) -> Void
    typealias Delete = @convention(c) (OpaquePointer?) -> Void
    typealias StateSize = @convention(c) (OpaquePointer?, Int32) -> Int32
    typealias GetState = @convention(c) (OpaquePointer?, OpaquePointer?, UnsafeMutablePointer<Double>?, Int32) -> Void
    typealias SetState = @convention(c) (OpaquePointer?, OpaquePointer?, UnsafePointer<Double>?, Int32) -> Void
    typealias VersionString = @convention(c) () -> UnsafePointer<CChar>?
    typealias MessageHandler = @convention(c) (UnsafePointer<CChar>?) -> Void

    /// `mjtState` bits.
    enum StateComponent: Int32 {
        case time = 1, positions = 2, velocities = 4, controls = 64
    }

    /// Where the library was opened from.
    public let path: String
    /// `mj_versionString()`, e.g. "4.0.0".
    public let version: String

    let loadXML: LoadXML
    let makeData: MakeData
    let step: ModelAndData
    let forward: ModelAndData
    let resetData: ModelAndData
    let deleteData: Delete
    let deleteModel: Delete
    let stateSize: StateSize
    let getState: GetState
    let setState: SetState

    /// Opens the library at `path` (e.g. `…/site-packages/mujoco/libmujoco.so.4.0.0`).
    public init(path: String) throws {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            throw MuJoCoError("cannot open the MuJoCo library \(path): \(dlerror().map { String(cString: $0) } ?? "unknown error")")
        }
        func symbol<F>(_ name: String, as type: F.Type) throws -> F {
            guard let address = dlsym(handle, name) else {
                throw MuJoCoError("\(path) has no \(name) (MuJoCo 3.1 or newer is needed)")
            }
            return unsafeBitCast(address, to: type)
        }
        self.path = path
        version = try symbol("mj_versionString", as: VersionString.self)().map { String(cString: $0) } ?? "unknown"
        loadXML = try symbol("mj_loadXML", as: LoadXML.self)
        makeData = try symbol("mj_makeData", as: MakeData.self)
        step = try symbol("mj_step", as: ModelAndData.self)
        forward = try symbol("mj_forward", as: ModelAndData.self)
        resetData = try symbol("mj_resetData", as: ModelAndData.self)
        deleteData = try symbol("mj_deleteData", as: Delete.self)
        deleteModel = try symbol("mj_deleteModel", as: Delete.self)
        stateSize = try symbol("mj_stateSize", as: StateSize.self)
        getState = try symbol("mj_getState", as: GetState.self)
        setState = try symbol("mj_setState", as: SetState.self)
        // MuJoCo's default handlers also append every message to MUJOCO_LOG.TXT in the working
        // directory (and exit on errors): send warnings to standard error instead.
        if let handler = dlsym(handle, "mju_user_warning") {
            handler.assumingMemoryBound(to: MessageHandler?.self).pointee = { message in
                let line = "MuJoCo warning: \(message.map { String(cString: $0) } ?? "")\n"
                _ = line.withCString { write(STDERR_FILENO, $0, strlen($0)) }
            }
        }
    }
}
