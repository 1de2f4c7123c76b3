import CSharedMemory
#if canImport(Glibc)
import Glibc
#endif

/// A shared mapping of a memory file: the ring's sample memory, a producer's control lane.
/// The creator makes the file (`memfd_create`, closed on exec) and maps it; a peer that was
/// given the descriptor maps the same pages. Unmapped and closed on deinit.
package final class SharedMapping: @unchecked Sendable {
    // Invariant: `base` is a MAP_SHARED mapping of `byteCount` bytes, readable and writable,
    // alive from init to deinit and never remapped; `fd` (when ≥ 0) is the memory file behind
    // it, owned by this object. What lives in the memory, and who may touch which bytes, is
    // the owner's protocol (`RingStorage`, `ProducerLane`).
    package let base: UnsafeMutableRawPointer
    package let byteCount: Int
    /// The memory file, to hand to a peer; -1 when the memory could not be made shareable.
    package let fd: Int32

    private init(base: UnsafeMutableRawPointer, byteCount: Int, fd: Int32) {
        self.base = base
        self.byteCount = byteCount
        self.fd = fd
    }

    /// A new zero-filled memory file of `byteCount` bytes, mapped. When memory files are not
    /// available it falls back to anonymous memory that only this process (and its threads)
    /// can use: `fd` is -1 then. Nil only when no memory could be mapped at all.
    package static func create(name: String, byteCount: Int) -> SharedMapping? {
        let fd = chorus_memfd_create(name)
        if fd >= 0 {
            if ftruncate(fd, off_t(byteCount)) != 0 {
                close(fd)
            } else if let mapping = map(fd: fd, byteCount: byteCount) {  // which closes `fd` on failure
                return mapping
            }
        }
        let base = mmap(nil, byteCount, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)
        guard let base, base != MAP_FAILED else { return nil }
        return SharedMapping(base: base, byteCount: byteCount, fd: -1)
    }

    /// Maps `byteCount` bytes of the memory file `fd`, taking ownership of `fd`, after checking
    /// that the file is at least that large (a smaller file would fault on access). Nil (and
    /// `fd` closed) when it is not.
    package static func map(fd: Int32, byteCount: Int) -> SharedMapping? {
        var status = stat()
        guard byteCount > 0, fstat(fd, &status) == 0, Int(status.st_size) >= byteCount,
              let base = mmap(nil, byteCount, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), base != MAP_FAILED
        else {
            close(fd)
            return nil
        }
        return SharedMapping(base: base, byteCount: byteCount, fd: fd)
    }

    deinit {
        munmap(base, byteCount)
        if fd >= 0 { close(fd) }
    }
}
