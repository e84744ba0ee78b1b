import Bus
import GRDB
import Logging
import MeshProtocol
import ServiceLifecycle
import Synchronization

/// Group commit for imports: the batches that wait for the registry's single writer while it
/// commits one transaction are stored together in the next one, up to `maxRowsPerTransaction`.
///
/// A department's import keeps several batches in flight (creditctl: 8 of 2,000 rows), and each
/// transaction of 2,000 rows rewrote the same index pages (16 KiB each) that the next one touched
/// again; grouped, each page is written once per group. Measured in the import stages bench: 12.4
/// KB written per row (WAL and checkpoint) with transactions of 2,000 rows, 9.3 KB with 10,000.
///
/// Each batch's records are stored by a `RegistrySchema.Batch` of its own (its department, its
/// outcomes), in arrival order, so record numbers and event seqs follow the order batches arrived
/// in. If a group's transaction fails, nothing of it is kept and each of its batches is stored
/// again alone: one batch's failure is reported to that batch's request only. A batch whose
/// request is cancelled while it waits is still stored (re-importing it adds nothing: natural keys).
///
/// It also runs the passes that index what imports leave pending (`RegistrySchema.indexPending`):
/// one after every `rowsPerPass` rows stored, and one when no batch has come for `idleDelay`
/// (`RegistrySchema.IndexPasses`) — at the end of an import, or at start when the last run stopped
/// before its pass.
///
/// A `Service` in the registry's group: `run()` stores what `store` queues and runs the idle
/// passes, as child tasks, so a graceful shutdown stores every batch accepted before it. Batches
/// offered after it ends are refused.
final class ImportWriter: Service, Sendable {
    /// About four of creditctl's batches; a batch larger than this is a transaction of its own.
    static let maxRowsPerTransaction = 8_000

    private struct Job: Sendable {
        let records: [RegistrySchema.PreparedRecord]
        let source: String
        let continuation: CheckedContinuation<[StoreOutcome], any Error>
    }

    private struct State {
        var queue: [Job] = []
        var draining = false
        /// Set when `run()` has stored its last batch.
        var stopped = false
        /// Rows stored since the last pass began (an upper bound of what is pending).
        var pendingRows = 0
        /// Counts batches received, so that a waiting idle pass sees that another came.
        var received = 0
        /// After a failed pass, the pending count at which the next pass during an import is due
        /// (another `rowsPerPass` rows on): a failing pass is not tried again with every batch.
        var retryAt: Int?
        /// Passes that failed since start, and the last one's error.
        var failedPasses = 0
        var lastPassError: String?
    }

    private let writer: any DatabaseWriter
    private let log: EventLog
    private let state = Mutex(State())
    private let transactions = Atomic<Int>(0)
    private let batches = Atomic<Int>(0)
    private let passes = Atomic<Int>(0)
    private let policy: RegistrySchema.IndexPasses
    private let clock: ServiceClock
    private let logger: Logger
    /// Wakes `run()` when a batch is queued.
    private let wakes: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    /// Asks for an idle pass: the `received` count it is for (nil: whatever came since) and when
    /// the delay began.
    private let idlePasses: AsyncStream<(received: Int?, since: ServiceClock.Instant)>
    private let idlePass: AsyncStream<(received: Int?, since: ServiceClock.Instant)>.Continuation

    /// `pendingAtStart`: rows a previous run left pending; when there are any, a pass runs after
    /// the idle delay unless an import comes first.
    init(
        writer: any DatabaseWriter, log: EventLog, pendingAtStart: Int = 0, passes: RegistrySchema.IndexPasses = .init(),
        clock: ServiceClock = .system, logger: Logger = Logger(label: "registry")
    ) {
        self.writer = writer
        self.log = log
        self.clock = clock
        self.logger = logger
        policy = passes
        (wakes, wake) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        (idlePasses, idlePass) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        if pendingAtStart > 0 {
            state.withLock { $0.pendingRows = pendingAtStart }
            idlePass.yield((nil, clock.now))
        }
    }

    /// Stores queued batches until a graceful shutdown (then stores what was queued before it) or
    /// cancellation, and runs the idle passes beside.
    func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.runIdlePasses() }
            for await _ in wakes.cancelOnGracefulShutdown() {
                await drain()
            }
            state.withLock { $0.stopped = true }
            await drain()
            group.cancelAll()
        }
    }

    /// Stores one batch's records, with whatever other batches are waiting, and returns what
    /// became of each record.
    func store(_ records: [RegistrySchema.PreparedRecord], source: String) async throws -> [StoreOutcome] {
        try await withCheckedThrowingContinuation { continuation in
            let accepted = state.withLock { state -> Bool in
                guard !state.stopped else { return false }
                state.queue.append(Job(records: records, source: source, continuation: continuation))
                state.received += 1
                return true
            }
            if accepted {
                wake.yield(())
            } else {
                continuation.resume(
                    throwing: ReplyError(
                        .unavailable, "records.import: the registry is shutting down; send this batch again once it is back"))
            }
        }
    }

    /// Batches waiting for the writer (for tests).
    var waiting: Int { state.withLock { $0.queue.count } }

    /// Write transactions run for imports since start (a group retried batch by batch counts each try).
    var transactionCount: Int { transactions.load(ordering: .relaxed) }

    /// Import batches stored (or refused by the database) since start.
    var batchCount: Int { batches.load(ordering: .relaxed) }

    /// Passes that indexed pending rows since start.
    var indexPassCount: Int { passes.load(ordering: .relaxed) }

    /// Passes that failed since start, and the last one's error (each is logged too).
    var indexPassFailures: (count: Int, lastError: String?) {
        state.withLock { ($0.failedPasses, $0.lastPassError) }
    }

    private func drain() async {
        state.withLock { $0.draining = true }
        while let group = nextGroup() {
            do {
                let outcomes = try await write(group)
                batches.add(group.count, ordering: .relaxed)
                for (job, outcome) in zip(group, outcomes) { job.continuation.resume(returning: outcome) }
            } catch  where group.count > 1 {
                for job in group {
                    batches.add(1, ordering: .relaxed)
                    do {
                        job.continuation.resume(returning: try await write([job])[0])
                    } catch {
                        job.continuation.resume(throwing: error)
                    }
                }
            } catch {
                batches.add(1, ordering: .relaxed)
                group[0].continuation.resume(throwing: error)
            }
            let rows = group.reduce(0) { $0 + $1.records.count }
            let due = state.withLock { state in
                state.pendingRows += rows
                return state.pendingRows >= (state.retryAt ?? policy.rowsPerPass)
            }
            if due { await indexPending() }
        }
    }

    /// The batches of the next transaction: the first waiting one, and those after it while the
    /// rows fit. Nil (and draining ends) when none waits.
    private func nextGroup() -> [Job]? {
        state.withLock { state -> [Job]? in
            guard !state.queue.isEmpty else {
                state.draining = false
                if state.pendingRows > 0, !state.stopped { idlePass.yield((state.received, clock.now)) }
                return nil
            }
            var rows = state.queue[0].records.count
            var count = 1
            while count < state.queue.count, rows + state.queue[count].records.count <= Self.maxRowsPerTransaction {
                rows += state.queue[count].records.count
                count += 1
            }
            defer { state.queue.removeFirst(count) }
            return Array(state.queue.prefix(count))
        }
    }

    /// For each request, a pass after the idle delay unless another batch has come by then
    /// (`received` changed): the drain that stores it asks for the next one. A newer request
    /// replaces one not yet taken.
    private func runIdlePasses() async {
        for await (received, since) in idlePasses {
            do {
                try await clock.sleep(until: since.advanced(by: policy.idleDelay))
            } catch {
                return
            }
            let idle = state.withLock { state in
                !state.draining && !state.stopped && state.pendingRows > 0 && (received == nil || state.received == received)
            }
            if idle { await indexPending() }
        }
    }

    /// One pass, in a write transaction of its own; rows stored while it waits for the writer count
    /// for the next one. A pass that fails (a full disk, an I/O error) is logged and counted in
    /// `status`; it leaves its rows pending (queries still find them) and counted, so the pass after
    /// the next batch, or the next import's idle pass, tries again.
    private func indexPending() async {
        let counted = state.withLock { state in
            defer { state.pendingRows = 0 }
            return state.pendingRows
        }
        do {
            _ = try await writer.write { db in try RegistrySchema.indexPending(db) }
            passes.add(1, ordering: .relaxed)
            state.withLock { $0.retryAt = nil }
        } catch {
            state.withLock { state in
                state.pendingRows += counted
                state.retryAt = state.pendingRows + policy.rowsPerPass
                state.failedPasses += 1
                state.lastPassError = "\(error)"
            }
            logger.error(
                "An indexing pass failed: imported subjects and related persons stay out of the name and person-id indexes (queries still find them); the next pass tries again",
                metadata: ["rows": "\(counted)", "error": "\(error)"])
        }
    }

    private func write(_ group: [Job]) async throws -> [[StoreOutcome]] {
        transactions.add(1, ordering: .relaxed)
        return try await writer.write { [log] db in
            try group.map { try RegistrySchema.store($0.records, source: $0.source, in: db, log: log) }
        }
    }
}
