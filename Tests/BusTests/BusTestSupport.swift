import Bus
import Foundation
import GRDB
import Logging
import MeshProtocol
import ServiceKit
import TestSupport

/// Records every applied event's seq so tests can check "each exactly once, in order".
struct RecordingApplier: StreamApplier {
    func apply(_ event: Event, in db: Database) throws {
        try db.execute(sql: "INSERT INTO seen(seq, type) VALUES (?, ?)", arguments: [event.seq, event.type])
    }
}

func followerDatabase() throws -> DatabaseQueue {
    try ServiceDatabase.inMemory { migrator in
        migrator.registerMigration("seen") { db in
            try db.create(table: "seen") { t in
                t.primaryKey("seq", .integer)
                t.column("type", .text).notNull()
            }
        }
    }
}

struct NoOps: RequestHandler {
    var commands: CommandTable {
        var commands = CommandTable(service: "test")
        commands.on("echo", access: .anyone, audit: .query, body: JSONValue.self) { body, _ in body }
        return commands
    }
}

/// A publisher with its own in-memory log on free loopback ports.
struct TestPublisher {
    let database: DatabaseQueue
    let log: EventLog
    let server: BusServer
    let endpoints: BusEndpoints

    init(
        stream: String = "test", pubHighWaterMark: Int32 = 100_000, clock: ServiceClock = .system, handler: any RequestHandler = NoOps()
    ) throws {
        database = try ServiceDatabase.inMemory { _ in }
        log = EventLog(stream: stream)
        let ports = FreePorts.take(2)
        endpoints = BusEndpoints(pub: "tcp://127.0.0.1:\(ports[0])", router: "tcp://127.0.0.1:\(ports[1])", server: stream)
        var options = BusServerOptions(pubEndpoint: endpoints.pub, routerEndpoint: endpoints.router)
        options.pubHighWaterMark = pubHighWaterMark
        options.heartbeatInterval = .milliseconds(200)
        server = BusServer(
            service: "test", options: options, log: log, reader: database, handler: handler, clock: clock, logger: Logger(label: "test"))
    }

    func append(_ count: Int, type: String = "thing.happened") throws {
        try database.write { db in
            for index in 0..<count { try log.append(db, type: type, json: .object(["n": .int(Int64(index))])) }
        }
    }
}

func seen(_ database: DatabaseQueue) throws -> [Int64] {
    try database.read { try Int64.fetchAll($0, sql: "SELECT seq FROM seen ORDER BY seq") }
}
