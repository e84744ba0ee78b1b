import Bus
import GRDB
import Logging
import ServiceKit
import TestSupport

/// A receiving service on free loopback ports, and beside it the source's database and event log an
/// outbox forwards from.
struct OutboxRig {
    let server: BusServer
    /// The receiver's ROUTER, where the outbox sends.
    let router: String
    let database: DatabaseQueue
    let log = EventLog(stream: "source")

    init(receiver: some RequestHandler, logger: Logger) throws {
        let ports = FreePorts.take(2)
        router = "tcp://127.0.0.1:\(ports[1])"
        server = BusServer(
            service: "receiver", options: BusServerOptions(pubEndpoint: "tcp://127.0.0.1:\(ports[0])", routerEndpoint: router),
            log: EventLog(stream: "receiver"), reader: try ServiceDatabase.inMemory { _ in }, handler: receiver, logger: logger)
        database = try ServiceDatabase.inMemory { _ in }
    }
}
