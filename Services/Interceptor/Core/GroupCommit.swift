import GRDB
import Synchronization

/// Writes that arrive together committed together: each caller's write runs in its own savepoint
/// inside one transaction with every other write queued meanwhile, and each caller resumes only
/// when that transaction has committed — so a check is answered only once its log entry is as
/// durable as the database makes it, and concurrent checks share one commit instead of paying one
/// each (the check log's rate was the rate of SQLite commits).
///
/// While a transaction is being written, new writes queue; the next transaction takes them all
/// (at most `maxGroup`). A write that throws rolls back its savepoint and fails alone; a
/// transaction that fails to commit fails every write in it, none of which is then answered as
/// logged.
final class GroupCommit: Sendable {
    typealias Write = @Sendable (Database) throws -> String

    private struct Waiting {
        let write: Write
        let continuation: CheckedContinuation<String, any Error>
    }

    private struct State {
        var queue: [Waiting] = []
        var writing = false
    }

    private let writer: any DatabaseWriter
    private let maxGroup: Int
    private let state = Mutex(State())

    init(writer: any DatabaseWriter, maxGroup: Int = 512) {
        self.writer = writer
        self.maxGroup = maxGroup
    }

    /// Runs `write` in the next group's transaction and returns its result once that has committed.
    func write(_ write: @escaping Write) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            let lead = state.withLock { state -> Bool in
                state.queue.append(Waiting(write: write, continuation: continuation))
                guard !state.writing else { return false }
                state.writing = true
                return true
            }
            // The first write to find no group in progress starts the writer, which runs until the
            // queue is empty. Unstructured because it serves every caller, not the one that started it;
            // it ends by itself when nothing waits.
            if lead { Task { await self.drain() } }
        }
    }

    private func drain() async {
        while true {
            let group = state.withLock { state -> [Waiting] in
                let taken = Array(state.queue.prefix(maxGroup))
                state.queue.removeFirst(taken.count)
                if taken.isEmpty { state.writing = false }
                return taken
            }
            guard !group.isEmpty else { return }
            do {
                let results = try await writer.write { db -> [Result<String, any Error>] in
                    group.map { waiting in
                        Result {
                            var value = ""
                            try db.inSavepoint {
                                value = try waiting.write(db)
                                return .commit
                            }
                            return value
                        }
                    }
                }
                for (waiting, result) in zip(group, results) { waiting.continuation.resume(with: result) }
            } catch {
                for waiting in group { waiting.continuation.resume(throwing: error) }
            }
        }
    }
}
