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

    /// `y[b] += W·x[b]` for each of the `batch` rows of `x` (`batch × columns`, row-major; `y`
    /// `batch × rows`), `w` row-major `rows × columns`: one matrix for a whole batch, two
    /// inputs by four rows of `w` at a time, so each value loaded serves four or two products.
    static func accumulateMatrixProduct(
        _ w: UnsafeBufferPointer<Float>, rows: Int, _ x: UnsafeBufferPointer<Float>, batch: Int,
        into y: UnsafeMutableBufferPointer<Float>
    ) {
        let columns = batch > 0 ? x.count / batch : 0
        precondition(x.count == batch * columns && w.count >= rows * columns && y.count >= batch * rows,
                     "matrix-product shapes disagree")
        var member = 0
        while member + 2 <= batch {
            var row = 0
            while row + 4 <= rows {
                let sums = dots(x, inputs: (member * columns, (member + 1) * columns), w, rows: row * columns,
                                columns: columns)
                for index in 0..<8 { y[(member + index / 4) * rows + row + index % 4] += sums[index] }
                row += 4
            }
            for row in row..<rows {
                let weights = UnsafeBufferPointer(rebasing: w[row * columns ..< (row + 1) * columns])
                for input in member..<member + 2 {
                    y[input * rows + row] += dot(weights, UnsafeBufferPointer(rebasing: x[input * columns ..< (input + 1) * columns]))
                }
            }
            member += 2
        }
        if member < batch {
            accumulateMatrixVector(w, rows: rows, UnsafeBufferPointer(rebasing: x[member * columns ..< (member + 1) * columns]),
                                   into: UnsafeMutableBufferPointer(rebasing: y[member * rows ..< (member + 1) * rows]))
        }
    }

    /// The eight dot products of inputs `x[i0...]`, `x[i1...]` with the four rows of `w` from
    /// `r0`, each `columns` long: input 0 with rows 0–3, then input 1 with rows 0–3.
    @inline(__always)
    private static func dots(
        _ x: UnsafeBufferPointer<Float>, inputs: (Int, Int), _ w: UnsafeBufferPointer<Float>, rows r0: Int, columns: Int
    ) -> SIMD8<Float> {
        let (i0, i1) = inputs
        let (r1, r2, r3) = (r0 + columns, r0 + 2 * columns, r0 + 3 * columns)
        func load(_ buffer: UnsafeBufferPointer<Float>, _ at: Int) -> SIMD4<Float> {
            SIMD4(buffer[at], buffer[at + 1], buffer[at + 2], buffer[at + 3])
        }
        var (a00, a01, a02, a03) = (SIMD4<Float>(), SIMD4<Float>(), SIMD4<Float>(), SIMD4<Float>())
        var (a10, a11, a12, a13) = (SIMD4<Float>(), SIMD4<Float>(), SIMD4<Float>(), SIMD4<Float>())
        var k = 0
        while k + 4 <= columns {
            let (x0, x1) = (load(x, i0 + k), load(x, i1 + k))
            let (w0, w1, w2, w3) = (load(w, r0 + k), load(w, r1 + k), load(w, r2 + k), load(w, r3 + k))
            a00 += x0 * w0; a01 += x0 * w1; a02 += x0 * w2; a03 += x0 * w3
            a10 += x1 * w0; a11 += x1 * w1; a12 += x1 * w2; a13 += x1 * w3
            k += 4
        }
        var sums = SIMD8(a00.sum(), a01.sum(), a02.sum(), a03.sum(), a10.sum(), a11.sum(), a12.sum(), a13.sum())
        while k < columns {
            for index in 0..<4 {
                let weight = w[r0 + index * columns + k]
                sums[index] += x[i0 + k] * weight
                sums[4 + index] += x[i1 + k] * weight
            }
            k += 1
        }
        return sums
    }
}
