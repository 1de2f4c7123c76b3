import ChorusCore

/// A server's replay tables by name, and the one that samples go to when a producer names none
/// (v1 clients, v2 clients without a table, ``Server/submit(_:timeout:)`` stays with the ring).
struct ReplayTables: Sendable {
    let all: [ReplayTable]
    private let byName: [String: ReplayTable]
    /// Where v1 clients and v2 clients that name no table write; nil: the FIFO ring.
    let defaultTable: ReplayTable?

    init(_ tables: [ReplayTable], schema: Schema, defaultTable: String?) throws(ServerError) {
        var byName: [String: ReplayTable] = [:]
        for table in tables {
            guard table.schema == schema else {
                throw .invalidTables("table \"\(table.name)\" holds \(table.schema), the server \(schema)")
            }
            guard byName.updateValue(table, forKey: table.name) == nil else {
                throw .invalidTables("two tables are named \"\(table.name)\"")
            }
        }
        if let defaultTable, byName[defaultTable] == nil {
            throw .invalidTables("the default table \"\(defaultTable)\" is not one of the server's tables")
        }
        all = tables
        self.byName = byName
        self.defaultTable = defaultTable.flatMap { byName[$0] }
    }

    /// The table named `name`, or an error listing the names there are.
    func named(_ name: String) throws(ReplayError) -> ReplayTable {
        guard let table = byName[name] else { throw .unknownTable(name, known: all.map(\.name)) }
        return table
    }
}
