#if canImport(Glibc)
import Glibc
#endif

/// The memory this process may use: the machine's physical memory, or its memory cgroup's limit
/// when that is lower (a container's `resources.limits.memory`). A ring or a replay table larger
/// than this could never be held full, so it is refused when it is made rather than killed by
/// the kernel once it fills.
package enum MemoryLimit {
    /// Bytes, or nil when none can be read.
    package static var bytes: Int? {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        let physical = pages > 0 && pageSize > 0 ? pages.multipliedReportingOverflow(by: pageSize).partialValue : nil
        return ([physical] + cgroupLimitFiles.map(number(in:))).compactMap { $0 }.min()
    }

    /// `bytes` for messages, in gigabytes with one decimal: "72.0 GB".
    package static func gigabytes(_ bytes: Double) -> String {
        "\((bytes / 1e8).rounded() / 10) GB"
    }

    /// The limit files of this process's cgroups, from `/proc/self/cgroup` (`id:controllers:path`
    /// lines): cgroup v2's `memory.max` (the line with no controllers), v1's
    /// `memory.limit_in_bytes` (the `memory` line). In a container both paths are usually `/`.
    private static var cgroupLimitFiles: [String] {
        lines(of: "/proc/self/cgroup").compactMap { line in
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { return nil }
            let path = fields[2].hasSuffix("/") ? String(fields[2]) : "\(fields[2])/"
            if fields[1].isEmpty { return "/sys/fs/cgroup\(path)memory.max" }
            if fields[1].split(separator: ",").contains("memory") { return "/sys/fs/cgroup/memory\(path)memory.limit_in_bytes" }
            return nil
        }
    }

    /// The number on the first line of `path`; nil when the file is missing or says `max` (no limit).
    private static func number(in path: String) -> Int? {
        lines(of: path).first.flatMap { Int($0) }
    }

    /// The lines of a small text file (at most 4 KiB read); none when it cannot be read.
    private static func lines(of path: String) -> [Substring] {
        guard let file = fopen(path, "r") else { return [] }
        defer { fclose(file) }
        var bytes = [UInt8](repeating: 0, count: 4096)
        let count = fread(&bytes, 1, bytes.count, file)
        return String(decoding: bytes[..<count], as: UTF8.self).split(separator: "\n")
    }
}
