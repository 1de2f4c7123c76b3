/// The few dense loops the strategies run millions of times. They read and write through buffer
/// subscripts only (no pointer arithmetic); callers pass buffers whose counts they checked.
enum Kernels {
    /// `Σ a[i]·b[i]` over `a.count` elements (`b.count ≥ a.count`), eight lanes at a time.
    @inline(__always)
    static func dot(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Float {
        let n = a.count
        assert(b.count >= n, "dot: the second vector is shorter")
        var lanes = SIMD8<Float>()
        var i = 0
        // Eight lanes built from eight bounds-checked reads (release builds merge them into one
        // vector load); i + 8 ≤ n inside the loop.
        while i + 8 <= n {
            let x = SIMD8(a[i], a[i + 1], a[i + 2], a[i + 3], a[i + 4], a[i + 5], a[i + 6], a[i + 7])
            let y = SIMD8(b[i], b[i + 1], b[i + 2], b[i + 3], b[i + 4], b[i + 5], b[i + 6], b[i + 7])
            lanes += x * y  // not `addProduct`: without FMA hardware flags that becomes a libm call per lane
            i += 8
        }
        var sum = lanes.sum()
        while i < n {
            sum += a[i] * b[i]
            i += 1
        }
        return sum
    }

    /// `y[i] += alpha·x[i]` for every `i < y.count` (`x.count ≥ y.count`).
    @inline(__always)
    static func axpy(_ alpha: Float, _ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutableBufferPointer<Float>) {
        for i in 0..<y.count {
            y[i] += alpha * x[i]
        }
    }

    /// `y = W·x` for a row-major `rows × x.count` matrix `w`, plus `y` (accumulating).
    static func accumulateMatrixVector(
        _ w: UnsafeBufferPointer<Float>, rows: Int, _ x: UnsafeBufferPointer<Float>,
        into y: UnsafeMutableBufferPointer<Float>, scale: Float = 1
    ) {
        let columns = x.count
        precondition(w.count >= rows * columns && y.count >= rows, "matrix-vector shapes disagree")
        for row in 0..<rows {
            let rowBuffer = UnsafeBufferPointer(rebasing: w[row * columns ..< (row + 1) * columns])
            y[row] += scale * dot(rowBuffer, x)
        }
    }
}
