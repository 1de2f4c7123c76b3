import CChorus
import Chorus
import ChorusCore

// The replay tables of chorus.h (see there for the contract).

@_cdecl("chorus_table_create")
public func chorus_table_create(_ schema: OpaquePointer?, _ config: UnsafePointer<chorus_table_config>?,
                                _ out: UnsafeMutablePointer<OpaquePointer?>?) -> chorus_status {
    reportingErrors { () throws(ABIError) in
        let schema = try Handles.borrow(schema, as: SchemaHandle.self).schema
        guard let config else { throw ABIError(CHORUS_INVALID_ARGUMENT, "a null configuration") }
        try Handles.store(try TableHandle(schema: schema, config: config.pointee), to: out)
    }
}

@_cdecl("chorus_table_restore")
public func chorus_table_restore(_ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> chorus_status {
    reportingErrors { () throws(ABIError) in
        guard let path else { throw ABIError(CHORUS_INVALID_ARGUMENT, "a null path") }
        try Handles.store(TableHandle(try replay { () throws(ReplayError) in try ReplayTable(checkpoint: String(cString: path)) }),
                          to: out)
    }
}

@_cdecl("chorus_table_checkpoint")
public func chorus_table_checkpoint(_ table: OpaquePointer?, _ path: UnsafePointer<CChar>?,
                                    _ bytes: UnsafeMutablePointer<UInt64>?) -> chorus_status {
    reportingErrors { () throws(ABIError) in
        let handle = try Handles.borrow(table, as: TableHandle.self)
        guard let path else { throw ABIError(CHORUS_INVALID_ARGUMENT, "a null path") }
        let written = try replay { () throws(ReplayError) in try handle.table.checkpoint(to: String(cString: path)) }
        bytes?.pointee = UInt64(written)
    }
}

@_cdecl("chorus_table_free")
public func chorus_table_free(_ table: OpaquePointer?) {
    Handles.release(table, as: TableHandle.self)
}

@_cdecl("chorus_table_schema")
public func chorus_table_schema(_ table: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> chorus_status {
    reportingErrors { () throws(ABIError) in
        try Handles.store(SchemaHandle(try Handles.borrow(table, as: TableHandle.self).table.schema), to: out)
    }
}

@_cdecl("chorus_table_name")
public func chorus_table_name(_ table: OpaquePointer?) -> UnsafePointer<CChar>? {
    (try? Handles.borrow(table, as: TableHandle.self)).map { UnsafePointer($0.name) }
}

@_cdecl("chorus_server_create_with_tables")
public func chorus_server_create_with_tables(
    _ schema: OpaquePointer?, _ batchSize: Int, _ numBuffers: Int, _ tables: UnsafePointer<OpaquePointer?>?,
    _ tableCount: Int, _ defaultTable: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> chorus_status {
    reportingErrors { () throws(ABIError) in
        let schema = try Handles.borrow(schema, as: SchemaHandle.self).schema
        guard tableCount == 0 || tables != nil else { throw ABIError(CHORUS_INVALID_ARGUMENT, "a null table list") }
        var replayTables: [ReplayTable] = []
        for index in 0..<tableCount {
            replayTables.append(try Handles.borrow(tables![index], as: TableHandle.self).table)
        }
        try Handles.store(
            try ServerHandle(schema: schema, batchSize: batchSize, numBuffers: numBuffers, tables: replayTables,
                             defaultTable: defaultTable.map { String(cString: $0) }),
            to: out)
    }
}

@_cdecl("chorus_table_insert")
public func chorus_table_insert(
    _ table: OpaquePointer?, _ leaves: UnsafePointer<UnsafeRawPointer?>?, _ count: Int,
    _ priorities: UnsafePointer<Double>?, _ priorityCount: Int, _ timeoutNanoseconds: Int64,
    _ keys: UnsafeMutablePointer<UInt64>?, _ inserted: UnsafeMutablePointer<Int>?
) -> chorus_status {
    inserted?.pointee = 0
    return reportingErrors { () throws(ABIError) in
        let handle = try Handles.borrow(table, as: TableHandle.self)
        guard let samples = LeafMajorSamples(schema: handle.table.schema, leaves: leaves, count: count) else {
            throw ABIError(CHORUS_INVALID_ARGUMENT, "no samples, or a null leaf pointer")
        }
        let given = try priorityList(priorities, priorityCount, samples: count)
        if let bad = given.first(where: { !ReplayTable.isValid($0) }) { throw ABIError(ReplayError.invalidPriority(bad)) }
        let outcome = handle.insert(samples, priorities: given, timeout: timeout(nanoseconds: timeoutNanoseconds), keys: keys)
        inserted?.pointee = outcome.inserted
        if let error = outcome.error { throw error }
    }
}

@_cdecl("chorus_table_sample")
public func chorus_table_sample(
    _ table: OpaquePointer?, _ batchSize: Int, _ timeoutNanoseconds: Int64,
    _ leaves: UnsafePointer<UnsafeMutableRawPointer?>?, _ keys: UnsafeMutablePointer<UInt64>?,
    _ probabilities: UnsafeMutablePointer<Double>?, _ priorities: UnsafeMutablePointer<Double>?,
    _ timesSampled: UnsafeMutablePointer<UInt64>?, _ tableSizes: UnsafeMutablePointer<UInt64>?
) -> chorus_status {
    reportingErrors { () throws(ABIError) in
        let replayTable = try Handles.borrow(table, as: TableHandle.self).table
        guard let leaves else { throw ABIError(CHORUS_INVALID_ARGUMENT, "null leaf buffers") }
        var destinations: [UnsafeMutableRawPointer] = []
        for index in replayTable.schema.leaves.indices {
            guard let leaf = leaves[index] else { throw ABIError(CHORUS_INVALID_ARGUMENT, "a null leaf buffer") }
            destinations.append(leaf)
        }
        // The caller's buffers hold batch_size × leaf bytes each (chorus.h's contract).
        let draws = try replay { () throws(ReplayError) in
            try replayTable.sample(batchSize: batchSize, into: destinations, timeout: timeout(nanoseconds: timeoutNanoseconds))
        }
        for row in 0..<batchSize {
            keys?[row] = draws.keys[row]
            probabilities?[row] = draws.probabilities[row]
            priorities?[row] = draws.priorities[row]
            timesSampled?[row] = UInt64(draws.timesSampled[row])
            tableSizes?[row] = UInt64(draws.tableSizes[row])
        }
    }
}

@_cdecl("chorus_table_update_priorities")
public func chorus_table_update_priorities(_ table: OpaquePointer?, _ keys: UnsafePointer<UInt64>?,
                                           _ priorities: UnsafePointer<Double>?, _ count: Int) -> chorus_status {
    reportingErrors { () throws(ABIError) in
        let replayTable = try Handles.borrow(table, as: TableHandle.self).table
        guard count == 0 || (keys != nil && priorities != nil) else { throw ABIError(CHORUS_INVALID_ARGUMENT, "null keys or priorities") }
        try replay { () throws(ReplayError) in
            try replayTable.updatePriorities(keys: Array(UnsafeBufferPointer(start: keys, count: count)),
                                             priorities: Array(UnsafeBufferPointer(start: priorities, count: count)))
        }
    }
}

@_cdecl("chorus_table_delete")
public func chorus_table_delete(_ table: OpaquePointer?, _ keys: UnsafePointer<UInt64>?, _ count: Int) -> chorus_status {
    reportingErrors { () throws(ABIError) in
        let replayTable = try Handles.borrow(table, as: TableHandle.self).table
        guard count == 0 || keys != nil else { throw ABIError(CHORUS_INVALID_ARGUMENT, "null keys") }
        try replay { () throws(ReplayError) in try replayTable.delete(Array(UnsafeBufferPointer(start: keys, count: count))) }
    }
}

@_cdecl("chorus_table_info_get")
public func chorus_table_info_get(_ table: OpaquePointer?, _ out: UnsafeMutablePointer<chorus_table_info>?) -> chorus_status {
    reportingErrors { () throws(ABIError) in
        let info = try Handles.borrow(table, as: TableHandle.self).table.info
        guard let out else { throw ABIError(CHORUS_INVALID_ARGUMENT, "a null output pointer") }
        var snapshot = chorus_table_info(
            struct_size: MemoryLayout<chorus_table_info>.size, size: UInt64(info.size), max_size: UInt64(info.maxSize),
            inserts: info.inserts, samples: info.samples, removals: info.removals,
            waiting_inserts: UInt64(info.waitingInserts), waiting_samples: UInt64(info.waitingSamples))
        try writeVersioned(&snapshot, to: out)
    }
}

@_cdecl("chorus_client_connect_table")
public func chorus_client_connect_table(_ host: UnsafePointer<CChar>?, _ port: UInt16, _ schema: OpaquePointer?,
                                        _ table: UnsafePointer<CChar>?, _ secret: UnsafePointer<UInt8>?, _ secretLength: Int,
                                        _ window: Int, _ connectTimeoutNanoseconds: Int64,
                                        _ out: UnsafeMutablePointer<OpaquePointer?>?) -> chorus_status {
    reportingErrors { () throws(ABIError) in
        let schema = try Handles.borrow(schema, as: SchemaHandle.self).schema
        guard let host, let table else { throw ABIError(CHORUS_INVALID_ARGUMENT, "a null host or table") }
        try Handles.store(
            try ClientHandle(host: String(cString: host), port: Int(port), schema: schema, protocol: .chorus,
                             secret: secret.map { Array(UnsafeBufferPointer(start: $0, count: secretLength)) },
                             window: window > 0 ? window : nil,
                             connectTimeout: timeout(nanoseconds: connectTimeoutNanoseconds), table: String(cString: table)),
            to: out)
    }
}

@_cdecl("chorus_client_send_prioritized")
public func chorus_client_send_prioritized(_ client: OpaquePointer?, _ leaves: UnsafePointer<UnsafeRawPointer?>?, _ count: Int,
                                           _ priorities: UnsafePointer<Double>?, _ priorityCount: Int) -> chorus_status {
    reportingErrors { () throws(ABIError) in
        let handle = try Handles.borrow(client, as: ClientHandle.self)
        guard let samples = LeafMajorSamples(schema: handle.schema, leaves: leaves, count: count) else {
            throw ABIError(CHORUS_INVALID_ARGUMENT, "no samples, or a null leaf pointer")
        }
        try handle.send(samples, priorities: try priorityList(priorities, priorityCount, samples: count))
    }
}

/// The priorities a caller passed: one for all, or one per sample.
private func priorityList(_ priorities: UnsafePointer<Double>?, _ count: Int, samples: Int) throws(ABIError) -> [Double] {
    guard let priorities, count == 1 || count == samples else {
        throw ABIError(CHORUS_INVALID_ARGUMENT, "\(count) priorities for \(samples) samples: give 1, or one per sample")
    }
    return Array(UnsafeBufferPointer(start: priorities, count: count))
}

/// Runs a table call, turning its error into the ABI's.
private func replay<R>(_ body: () throws(ReplayError) -> R) throws(ABIError) -> R {
    do {
        return try body()
    } catch {
        throw ABIError(error)
    }
}
