#if canImport(Glibc)
import Glibc
#endif

/// The fuzz targets' `main` when they are built without libFuzzer: runs the target once on each
/// file named on the command line (a directory: on each file in it), so a plain `swift build`
/// compiles them and `make test` replays the seed corpus. With `-DCHORUS_LIBFUZZER` the targets
/// have no `main` of their own and libFuzzer's drives them.
public enum FuzzReplay {
    public static func run(_ target: (UnsafePointer<UInt8>, Int) -> Int32) {
        var count = 0
        for argument in CommandLine.arguments.dropFirst() {
            for path in files(at: argument) {
                guard let bytes = read(path) else {
                    print("cannot read \(path)")
                    exit(2)
                }
                _ = bytes.withUnsafeBufferPointer { buffer in
                    // libFuzzer never passes a null pointer, not even for an empty input.
                    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(1, buffer.count)) { copy in
                        _ = copy.initialize(fromContentsOf: buffer)
                        return target(UnsafePointer(copy.baseAddress!), buffer.count)
                    }
                }
                count += 1
            }
        }
        print("replayed \(count) inputs")
    }

    private static func files(at path: String) -> [String] {
        guard let directory = opendir(path) else { return [path] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if !name.hasPrefix(".") { names.append(path + "/" + name) }
        }
        return names.sorted()
    }

    private static func read(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            bytes += chunk[..<count]
            if count < chunk.count { return ferror(file) == 0 ? bytes : nil }
        }
    }
}
