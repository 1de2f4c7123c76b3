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
