import ArgumentParser
import Chorus
import Foundation

/// `chorus schema …`: work with schema files.
struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Validate and inspect schema files.",
        subcommands: [Check.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a schema file and print its leaves in flatten order with their byte offsets."
        )

        @Argument(help: "A schema file, e.g. Schemas/cartpole-step.json.")
        var file: String

        @Flag(help: "Print only the canonical text (the wire form) of the schema.")
        var canonical = false

        func run() throws {
            let schema = try loadSchema(file)
            if canonical {
                print(schema.canonicalJSON)
                return
            }
            print("\(file): \(schema.leaves.count) leaves, \(schema.sampleSize) bytes per sample")
            let rows = [["#", "path", "dtype", "shape", "offset", "bytes"]] + schema.leaves.map {
                ["\($0.index)", $0.path.isEmpty ? "(root)" : $0.path, "\($0.dtype)",
                 "[\($0.shape.map(String.init).joined(separator: ","))]", "\($0.offset)", "\($0.byteCount)"]
            }
            let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max()! }
            for row in rows {
                print(zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
                    .joined(separator: "  ").trimmingCharacters(in: .whitespaces))
            }
        }
    }
}

/// Reads and validates a schema file; errors name the file and, from the schema, the path.
func loadSchema(_ file: String) throws -> Schema {
    guard let data = FileManager.default.contents(atPath: file) else {
        throw CommandFailure("cannot read schema file \(file)")
    }
    do {
        return try Schema(jsonBytes: Array(data))
    } catch {
        throw CommandFailure("\(file): \(error)")
    }
}
