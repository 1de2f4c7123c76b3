/// The few dense loops the strategies run millions of times. Each takes buffer pointers whose
/// counts the caller has checked; the bodies index only below those counts.
enum Kernels {
    /// `Σ a[i]·b[i]` over `a.count` elements (`b.count ≥ a.count`), eight lanes at a time.
    @inline(__always)
    static func dot(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Float {
        let n = a.count
        assert(b.count >= n, "dot: the second vector is shorter")
        var lanes = SIMD8<Float>()
        var i = 0
        // Invariant: i + 8 ≤ n inside the loop, so both 8-wide loads stay in bounds.
        while i + 8 <= n {
            let x = UnsafeRawPointer(a.baseAddress! + i).loadUnaligned(as: SIMD8<Float>.self)
            let y = UnsafeRawPointer(b.baseAddress! + i).loadUnaligned(as: SIMD8<Float>.self)
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
