import Foundation

/// Prints a line and flushes, so a pipe (a test, `tee`) sees progress as it happens.
func say(_ line: String) {
    print(line)
    fflush(nil)
}

/// Reads a shared secret: the file's bytes without trailing newlines.
func loadSecret(_ file: String?) throws -> [UInt8]? {
    guard let file else { return nil }
    guard let data = FileManager.default.contents(atPath: file) else {
        throw CommandFailure("cannot read secret file \(file)")
    }
    let secret = Array(data.reversed().drop(while: { $0 == 0x0A || $0 == 0x0D }).reversed())
    guard !secret.isEmpty else { throw CommandFailure("secret file \(file) is empty") }
    return secret
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// Runs async work from a synchronous command and waits for it. The commands stay synchronous
/// so that `serve` can block its stop signals before any thread exists (an async `main` starts
/// the concurrency runtime's threads first, and they would take the signals).
func waitFor<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
    let outcome = AsyncOutcome<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        do { outcome.result = .success(try await work()) } catch { outcome.result = .failure(error) }
        done.signal()
    }
    done.wait()
    return try outcome.result!.get()
}

/// The result of ``waitFor(_:)``'s task: written once by the task before it signals, read only
/// after the wait returns, so the semaphore orders the two accesses.
private final class AsyncOutcome<T: Sendable>: @unchecked Sendable {
    var result: Result<T, any Error>?
}
