import Dispatch
import Foundation
import GRDB
import GRDBSQLite
import Synchronization

/// Checkpoints a service's WAL on a thread of its own, so the writer's commits do not stop to copy
/// pages from the WAL into the database file and wait for the disk.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses its threshold, on the writer's
/// thread: during a bulk import that copy and its two fsyncs were a third of the registry's writer
/// time while the second core had time to spare. This replaces it (`sqlite3_wal_hook`, which is
/// what `PRAGMA wal_autocheckpoint` installs). A commit that leaves more than `backgroundBytes` in
/// the WAL starts a passive checkpoint on another connection; a passive checkpoint never blocks
/// the writer or readers. Frames are appended only by commits, so when a pass ends the WAL holds
/// just what was committed during it: if that is at most `catchUpBytes`, the next commit copies it
/// (the database then holds every frame and the following transaction starts the WAL over from its
/// beginning, as after an automatic checkpoint); if more, another pass starts. A writer faster
/// than the passes grows the WAL until `inlineBytes`, where a commit checkpoints inline as SQLite
/// would and holds the writer back: the WAL stays bounded.
final class WALCheckpointer: Sendable {
    let path: String
    let backgroundBytes: Int
    let inlineBytes: Int
    /// What the last background pass may leave for the writer to copy.
    let catchUpBytes = 8 << 20
    private let pageSize = Atomic<Int>(4_096)
    private let state = Atomic<Int>(State.idle)
    private let passes = Atomic<Int>(0)
    /// Frames in the database after the last background pass.
    private let backfilled = Atomic<Int>(0)
    /// One signal per pass to run; the pass thread waits on it.
    private let wake = DispatchSemaphore(value: 0)
    private let threadStarted = Atomic<Bool>(false)
    private let catchUpCount = Atomic<Int>(0)

    init(path: String, backgroundBytes: Int = 32 << 20, inlineBytes: Int = 512 << 20) {
        self.path = path
        self.backgroundBytes = backgroundBytes
        self.inlineBytes = inlineBytes
    }

    /// Background checkpoint passes completed (for tests and status).
    var completedPasses: Int { passes.load(ordering: .relaxed) }

    /// What a test prints when the WAL does not start over: passes, catch-ups, the state, and the
    /// frames the last pass left in the database.
    var diagnosis: String {
        let names = [State.idle: "idle", State.running: "pass running", State.passDone: "pass done"]
        return
            "\(completedPasses) passes, \(catchUpCount.load(ordering: .relaxed)) catch-ups, \(names[state.load(ordering: .relaxed)] ?? "?"), "
            + "\(backfilled.load(ordering: .relaxed)) frames backfilled by the last pass"
    }

    /// One checkpointer per database file for the life of the process: the hook's context must
    /// outlive every connection that carries it.
    private static let byPath = Mutex<[String: WALCheckpointer]>([:])

    static func shared(for path: String) -> WALCheckpointer {
        byPath.withLock { table in
            if let existing = table[path] { return existing }
            let checkpointer = WALCheckpointer(path: path)
            table[path] = checkpointer
            return checkpointer
        }
    }

    /// Installs the hook on a connection (on readers it never fires: only commits append to the WAL).
    func install(on db: Database) throws {
        if let size = try Int.fetchOne(db, sql: "PRAGMA page_size") { pageSize.store(size, ordering: .relaxed) }
        sqlite3_wal_hook(
            db.sqliteConnection,
            { context, connection, _, frames in
                guard let context else { return SQLITE_OK }
                Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue().walDidGrow(connection, frames: Int(frames))
                return SQLITE_OK
            },
            Unmanaged.passUnretained(self).toOpaque())
    }

    /// Called by SQLite after each commit on the writer's thread, with the frames now in the WAL.
    private func walDidGrow(_ connection: OpaquePointer?, frames: Int) {
        let pageSize = pageSize.load(ordering: .relaxed)
        let current = state.load(ordering: .acquiring)
        if current == State.passDone, (frames - backfilled.load(ordering: .relaxed)) * pageSize <= catchUpBytes {
            // The background pass copied all but what was committed during it: copied here, between
            // two transactions, the database holds every frame and the next transaction starts the
            // WAL over (SQLite restarts it only then). A few megabytes and two short fsyncs, where
            // SQLite's own checkpoint copies all of them.
            sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            catchUpCount.add(1, ordering: .relaxed)
            state.store(State.idle, ordering: .releasing)
            return
        }
        // Otherwise: a pass is running, or the WAL is still small, or (after a pass) too much was
        // committed during it for the writer to copy, and another pass starts.
        guard current == State.passDone || (current == State.idle && frames * pageSize >= backgroundBytes) else { return }
        if frames * pageSize >= inlineBytes {
            // Checkpoints cannot keep up with this writer: copy inline, as SQLite would, which holds
            // the writer back until the WAL can start over.
            sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            state.store(State.idle, ordering: .releasing)
            return
        }
        state.store(State.running, ordering: .releasing)
        startThreadOnce()
        wake.signal()
    }

    /// Passes run on a thread of their own, started when the first is needed: a pass blocks in
    /// `write` and `fsync` for as long as the disk takes, which does not belong on a shared pool.
    /// On Dispatch's global queue a pass once waited behind other work until the WAL grew towards
    /// the inline bound (utility priority), and later did not run for 90 s in a loaded test run.
    private func startThreadOnce() {
        guard threadStarted.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        let thread = Thread { [self] in
            while true {
                wake.wait()
                if let copied = checkpointPass() {
                    backfilled.store(copied, ordering: .relaxed)
                    state.store(State.passDone, ordering: .releasing)
                } else {
                    state.store(State.idle, ordering: .releasing)
                }
            }
        }
        thread.name = "wal-checkpoint"
        thread.start()
    }

    /// Only the writer's thread starts passes (in `walDidGrow`), so a load and a store suffice.
    private enum State {
        static let idle = 0
        static let running = 1
        static let passDone = 2
    }

    /// One passive checkpoint on a connection of its own; the frames the database now holds, or nil
    /// when it failed.
    private func checkpointPass() -> Int? {
        var connection: OpaquePointer?
        defer { sqlite3_close_v2(connection) }
        guard sqlite3_open_v2(path, &connection, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK,
            // A new connection learns that the file is in WAL mode when it first reads it.
            sqlite3_exec(connection, "SELECT 1 FROM sqlite_schema LIMIT 1", nil, nil, nil) == SQLITE_OK
        else { return nil }
        var inLog: Int32 = 0
        var copied: Int32 = 0
        guard sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, &inLog, &copied) == SQLITE_OK else { return nil }
        passes.add(1, ordering: .relaxed)
        return Int(copied)
    }
}
