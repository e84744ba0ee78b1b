import Bus
import Foundation
import GRDB
import Logging
import MeshProtocol
import ServiceKit
import TestSupport
import Testing

/// An outbox with a batch op (protocol 1.3, `feedback.batch`): many events per request, an event the
/// receiver refuses kept alone, and one event per request toward a receiver without the op.
@Suite(.serialized) struct OutboxBatchTests {
    let logger = Logger(label: "test")

    /// Takes `take` (one event) and, when `batches`, `take.batch` (many), refusing for good each event
    /// whose data says `bad`.
    struct Receiver: RequestHandler {
        let batches: Bool
        let taken = Locked<[Int64]>([])
        let requests = Locked<[String]>([])

        var commands: CommandTable {
            struct One: Decodable, Sendable { var event: Event }
            struct Many: Decodable, Sendable { var events: [Event] }
            var commands = CommandTable(service: "receiver")
            commands.on("take", access: .anyone, audit: .query, body: One.self) { [taken, requests] body, _ -> JSONValue in
                requests.withLock { $0.append("take") }
                guard body.event.data["bad"] == nil else { throw ReplyError(.forbidden, "take: \(body.event.id) is bad") }
                taken.withLock { $0.append(body.event.seq) }
                return .object(["id": .string(body.event.id), "recorded": true])
            }
            if batches {
                commands.on("take.batch", access: .anyone, audit: .query, body: Many.self) { [taken, requests] body, _ -> JSONValue in
                    requests.withLock { $0.append("take.batch") }
                    return .object([
                        "results": .array(
                            body.events.map { event in
                                guard event.data["bad"] == nil else {
                                    return .object([
                                        "id": .string(event.id),
                                        "error": .object(["code": "forbidden", "message": .string("take.batch: \(event.id) is bad")]),
                                    ])
                                }
                                taken.withLock { $0.append(event.seq) }
                                return .object(["id": .string(event.id), "recorded": true])
                            })
                    ])
                }
            }
            return commands
        }
    }

    func deliver(toReceiverWithBatches batches: Bool) async throws -> (receiver: Receiver, deadLetters: Int, pending: Int64) {
        let receiver = Receiver(batches: batches)
        let rig = try OutboxRig(receiver: receiver, logger: logger)
        let (server, database, log) = (rig.server, rig.database, rig.log)
        let outbox = OutboxForwarder(
            target: "receiver.take", log: log, writer: database, types: ["thing.happened"], endpoint: rig.router,
            op: "take", batchOp: "take.batch", department: nil, logger: logger)
        // Written before the outbox starts: all of them go in its first read.
        try await database.write { db in
            for bad in [false, false, true, false] {
                try log.append(db, type: "thing.happened", json: .object(bad ? ["bad": true] : [:]))
            }
            try log.append(db, type: "other.thing", json: .object([:]))
        }
        try await whileRunning([server, outbox]) {
            // Every event past the position (the one of another type skipped too), the refused one kept.
            let delivered = try await eventually {
                let deadLetters = try await database.read { try DeadLetters.count($0) }
                return receiver.taken.value.count == 3 && deadLetters == 1 && outbox.pending == 0
            }
            #expect(delivered, "taken \(receiver.taken.value), pending \(outbox.pending)")
            // Nothing more is sent once the position is past them all.
            try await Task.sleep(for: .milliseconds(300))
        }
        return (receiver, try await database.read { try DeadLetters.count($0) }, outbox.pending)
    }

    @Test func aBatchCarriesEveryEventOfARead_andAnEventRefusedForGoodIsKeptAloneWhileTheOthersAreTaken() async throws {
        let (receiver, deadLetters, _) = try await deliver(toReceiverWithBatches: true)
        #expect(receiver.requests.value == ["take.batch"])
        #expect(receiver.taken.value == [1, 2, 4])
        #expect(deadLetters == 1)
    }

    @Test func aReceiverWithoutTheBatchOpIsSentOneEventPerRequest() async throws {
        let (receiver, deadLetters, _) = try await deliver(toReceiverWithBatches: false)
        #expect(receiver.requests.value == ["take", "take", "take", "take"], "unknown-op, then one event per request")
        #expect(receiver.taken.value == [1, 2, 4])
        #expect(deadLetters == 1)
    }
}
