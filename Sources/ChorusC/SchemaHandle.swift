import CChorus
import ChorusCore
#if canImport(Glibc)
import Glibc
#endif

/// What a `chorus_schema *` points to: a schema and the C strings and shapes its leaves are
/// described with, made once so `chorus_schema_leaf` hands out pointers that stay valid.
final class SchemaHandle {
    let schema: Schema
    // Invariant: every pointer below is allocated in `init` (strdup, allocate), never changed, and
    // freed in `deinit`, so what `chorus_schema_leaf` lends stays valid while the handle lives.
    let canonicalJSON: UnsafeMutablePointer<CChar>
    private let paths: [UnsafeMutablePointer<CChar>]
    private let dtypes: [UnsafeMutablePointer<CChar>]
    private let shapes: [UnsafeMutableBufferPointer<Int64>]

    init(_ schema: Schema) {
        self.schema = schema
        canonicalJSON = strdup(schema.canonicalJSON)
        paths = schema.leaves.map { strdup($0.path) }
        dtypes = schema.leaves.map { strdup($0.dtype.rawValue) }
        shapes = schema.leaves.map { leaf in
            let shape = UnsafeMutableBufferPointer<Int64>.allocate(capacity: max(1, leaf.shape.count))
            _ = shape.initialize(from: leaf.shape.map(Int64.init))
            return shape
        }
    }

    deinit {
        free(canonicalJSON)
        for text in paths + dtypes { free(text) }
        for shape in shapes { shape.deallocate() }
    }

    func info(ofLeaf index: Int) -> chorus_leaf_info {
        let leaf = schema.leaves[index]
        return chorus_leaf_info(
            path: paths[index], dtype: dtypes[index], ndim: leaf.shape.count,
            shape: shapes[index].baseAddress, byte_count: leaf.byteCount)
    }
}
