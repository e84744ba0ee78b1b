import ArgumentParser
import Bus
import Foundation
import MeshProtocol
import RegistryProtocol
import Synchronization

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import a file of records into the registry.",
        discussion: """
            Formats: shixin (the court's dishonest judgment-debtor list, a JSON array of objects); xzcf (administrative
            penalties in the double-publicity CF_* fields) and xzxk (licences, XK_* fields), CSV with a header row or a
            JSON array; native (the suite's own fields for every record kind, CSV or JSON; see docs/PROTOCOL.md).
            The file is read and sent in batches, several in flight. Good rows are stored, bad rows are listed with row
            number, field and reason and written to a report file (<file>.rejected.csv or .json: the rows as they were
            plus _row, _field and _reason, which the registry ignores, so the fixed report can be imported again).
            Re-importing adds nothing; a changed row becomes a new version of its record (corrected).
            Progress is kept in <file>.progress while importing: after an interruption (Ctrl-C), --resume continues
            after the last row the registry acknowledged.
            Exit status: 0 all rows stored or already present, 3 some rows refused, 1 failure, 130 interrupted.
            """)

    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("as"), help: "The department submitting the file (court, finance, market …).")
    var department: String
    @Option(help: "shixin, xzcf, xzxk or native.")
    var format: RecordFormat
    @Option(help: "Rows per request.")
    var batch: Int = 2_000
    @Option(name: .customLong("in-flight"), help: "Requests sent ahead of their answers.")
    var inFlight: Int = 8
    @Option(help: "Where to write the refused rows (default: <file>.rejected.csv or .rejected.json).")
    var report: String?
    @Flag(name: .customLong("no-report"), help: "Write no report file.")
    var noReport = false
    @Flag(help: "Continue after the last row acknowledged by a previous, interrupted run (from <file>.progress).")
    var resume = false
    @Flag(name: .customLong("no-progress"), help: "No progress bar: a plain line every 10 s instead.")
    var noProgress = false
    @Flag(help: "Print the summary as one JSON object.")
    var json = false
    @Argument(help: "The file to import.")
    var file: String

    func validate() throws {
        guard (1...ImportRequest.maxRows).contains(batch) else {
            throw ValidationError("--batch must be 1…\(ImportRequest.maxRows)")
        }
        guard (1...64).contains(inFlight) else { throw ValidationError("--in-flight must be 1…64") }
    }

    func run() async throws {
        let started = ContinuousClock.now
        let state = ImportProgressFile(path: file + ".progress")
        var resumeAt: (offset: Int, row: Int)?
        if resume {
            if let saved = try state.load() {
                guard saved.format == format.rawValue else {
                    throw CtlError("\(state.path) is for format \(saved.format), not \(format.rawValue)")
                }
                resumeAt = (saved.offset, saved.rowsDone)
            } else {
                warn("\(state.path) not found; importing from the start")
            }
        }
        let reader = try ImportReader(path: file, format: format, resumeAt: resumeAt)
        if let resumeAt { warn("resuming \(file) after row \(resumeAt.row)") }
        let reportPath = noReport ? nil : report ?? file + (reader.isCSV ? ".rejected.csv" : ".rejected.json")
        let reportFile = try reportPath.map { try ImportReport(path: $0, reader: reader, append: resumeAt != nil) }
        let progress = ImportProgressDisplay(
            file: file, totalBytes: reader.fileSize, startOffset: reader.offset, plain: noProgress || isatty(2) == 0)
        let interrupted = InterruptWatch(state: state, file: file)

        let client = try global.client(for: "registry", as: department)
        defer { client.close() }
        var total = ImportResult()
        var pending: [Int: (ImportReader.Batch, ImportResult)] = [:]
        var nextToCommit = 0
        try await withThrowingTaskGroup(of: (Int, ImportReader.Batch, ImportResult).self) { group in
            var sequence = 0
            var running = 0
            func commit(_ completed: (Int, ImportReader.Batch, ImportResult)) throws {
                pending[completed.0] = (completed.1, completed.2)
                // Batches finish out of order; the report and the progress file advance in file order.
                while let (done, result) = pending.removeValue(forKey: nextToCommit) {
                    var counted = result
                    counted.read = done.rowCount
                    counted.refused = (done.refused + result.refused).sorted { $0.row < $1.row }
                    try reportFile?.write(counted.refused, raw: done.raw)
                    total.add(counted)
                    try state.save(
                        ImportProgressFile.State(
                            format: format.rawValue, rowsDone: done.lastRow, offset: done.endOffset, size: reader.fileSize))
                    interrupted.lastRowDone.set(done.lastRow)
                    progress.update(rows: total.read, offset: done.endOffset)
                    nextToCommit += 1
                }
            }
            while let next = try reader.next(rows: batch) {
                if running >= inFlight, let completed = try await group.next() {
                    running -= 1
                    try commit(completed)
                }
                let number = sequence
                sequence += 1
                running += 1
                let timeout = global.timeoutDuration + .seconds(next.rowCount * inFlight / 2_000 + 5)
                group.addTask { [department] in
                    let hasRows = next.request.csv != nil || !next.request.rows.isEmpty
                    guard hasRows else { return (number, next, ImportResult()) }
                    let reply = try await client.request("records.import", as: department, body: next.request.body, timeout: timeout)
                    do {
                        return (number, next, try reply.decode(ImportResult.self))
                    } catch {
                        throw CtlError("registry answered records.import with an unreadable result: \(error)")
                    }
                }
            }
            while let completed = try await group.next() { try commit(completed) }
        }
        interrupted.cancel()
        progress.finish()
        try reportFile?.close()
        state.remove()

        let seconds = max((ContinuousClock.now - started).timeInterval, 0.001)
        let rate = Double(total.read) / seconds
        if json {
            try printJSON(total)
        } else {
            say(
                "\(file): \(total.read) rows read, \(total.stored) stored, \(total.alreadyPresent) already present, \(total.refused.count) refused, "
                    + "\(total.corrected) corrected in \(String(format: "%.1f", seconds)) s (\(Int(rate)) rows/s)")
            for refusal in total.refused.prefix(50) {
                let value = refusal.value.map { " \"\($0)\"" } ?? ""
                say("  row \(refusal.row): \(refusal.field)\(value): \(refusal.reason)")
            }
            if total.refused.count > 50 { say("  … and \(total.refused.count - 50) more") }
            if let reportPath, !total.refused.isEmpty {
                say("refused rows written to \(reportPath): fix them there and import that file again")
            }
        }
        if !total.refused.isEmpty { throw ExitCode(3) }
    }
}

extension RecordFormat: ExpressibleByArgument {}

/// Writes a line to standard error at once.
func warn(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

extension Duration {
    var timeInterval: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

// MARK: - Progress file

/// `<file>.progress`: the last row (and byte offset) of the file up to which every row has been
/// acknowledged by the registry, rewritten after each batch and removed when the import completes.
struct ImportProgressFile: Sendable {
    struct State: Codable {
        var format: String
        var rowsDone: Int
        var offset: Int
        var size: Int
    }

    let path: String

    func load() throws -> State? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        do {
            return try JSONDecoder().decode(State.self, from: data)
        } catch {
            throw CtlError("\(path) is not a progress file creditctl wrote (\(error)); remove it to import from the start")
        }
    }

    func save(_ state: State) throws {
        let data = try JSONEncoder().encode(state)
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw CtlError("cannot write \(path): \(error.localizedDescription)")
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// The last row every row up to which the registry acknowledged.
final class RowMark: Sendable {
    private let value = Mutex<Int>(0)
    func set(_ row: Int) { value.withLock { $0 = row } }
    var row: Int { value.withLock { $0 } }
}

/// Ctrl-C: says how far the import got and how to continue, then exits 130.
final class InterruptWatch: @unchecked Sendable {
    // @unchecked Sendable: `source` is set once in init and afterwards only cancelled; the row
    // mark is Sendable itself.
    let lastRowDone = RowMark()
    private let source: any DispatchSourceSignal

    init(state: ImportProgressFile, file: String) {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [lastRowDone] in
            warn(
                "\ninterrupted: every row up to \(lastRowDone.row) of \(file) is stored (\(state.path)); run the same import with --resume to continue"
            )
            exit(130)
        }
        source.resume()
    }

    func cancel() {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }
}

// MARK: - Report

/// The refused rows as the file had them plus `_row`, `_field`, `_reason`: CSV with the original
/// header, or a JSON array of the original objects. Created on the first refusal.
final class ImportReport {
    let path: String
    let isCSV: Bool
    let header: String
    let columns: Int
    private var handle: FileHandle?
    private var count = 0
    private let append: Bool

    init(path: String, reader: ImportReader, append: Bool) throws {
        self.path = path
        self.isCSV = reader.isCSV
        self.header = reader.headerText
        self.columns = reader.header.count
        self.append = append
        if !append { try? FileManager.default.removeItem(atPath: path) }
    }

    func write(_ refused: [RefusedRow], raw: [Int: String]) throws {
        guard !refused.isEmpty else { return }
        let handle = try open()
        var text = ""
        // One line per row: a row refused for several reasons is reported once, with the first.
        var seen = Set<Int>()
        for refusal in refused where seen.insert(refusal.row).inserted {
            if isCSV {
                let original = raw[refusal.row] ?? String(repeating: ",", count: max(0, columns - 1))
                text +=
                    original + "," + [String(refusal.row), refusal.field, refusal.reason].map(CSVText.escape).joined(separator: ",") + "\n"
            } else {
                var object = raw[refusal.row].flatMap { try? WireCoding.decode(JSONValue.self, from: Array($0.utf8)) }?.objectValue ?? [:]
                if object.isEmpty, let original = raw[refusal.row] { object["_original"] = .string(original) }
                object["_row"] = .int(Int64(refusal.row))
                object["_field"] = .string(refusal.field)
                object["_reason"] = .string(refusal.reason)
                text += (count == 0 ? "" : ",\n") + String(decoding: try WireCoding.encode(JSONValue.object(object)), as: UTF8.self)
            }
            count += 1
        }
        handle.write(Data(text.utf8))
    }

    func close() throws {
        guard let handle else { return }
        if !isCSV { handle.write(Data("\n]\n".utf8)) }
        try handle.close()
    }

    private func open() throws -> FileHandle {
        if let handle { return handle }
        let exists = FileManager.default.fileExists(atPath: path)
        if !exists || !append {
            let start = isCSV ? header + ",_row,_field,_reason\n" : "[\n"
            guard FileManager.default.createFile(atPath: path, contents: Data(start.utf8)) else {
                throw CtlError("cannot write the report \(path)")
            }
        }
        guard let handle = FileHandle(forUpdatingAtPath: path) else { throw CtlError("cannot write the report \(path)") }
        var end = try handle.seekToEnd()
        if exists, append, !isCSV {
            // Reopen the array a previous run closed.
            let closing = UInt64("\n]\n".utf8.count)
            if end >= closing {
                try handle.seek(toOffset: end - closing)
                if handle.readData(ofLength: Int(closing)) == Data("\n]\n".utf8) {
                    try handle.truncate(atOffset: end - closing)
                    end -= closing
                    count = end > 2 ? 1 : 0
                }
            }
            try handle.seek(toOffset: end)
        }
        self.handle = handle
        return handle
    }
}

// MARK: - Progress display

/// Rows, rows/s, per cent of the file and ETA on standard error: a bar redrawn in place on a
/// terminal, a plain line every 10 s otherwise.
final class ImportProgressDisplay {
    let file: String
    let totalBytes: Int
    let startOffset: Int
    let plain: Bool
    let started = ContinuousClock.now
    private var lastShown = ContinuousClock.now
    private var shownOnce = false

    init(file: String, totalBytes: Int, startOffset: Int, plain: Bool) {
        self.file = file
        self.totalBytes = totalBytes
        self.startOffset = startOffset
        self.plain = plain
    }

    func update(rows: Int, offset: Int) {
        let now = ContinuousClock.now
        guard (now - lastShown) >= (plain ? .seconds(10) : .milliseconds(200)) else { return }
        lastShown = now
        let elapsed = max((now - started).timeInterval, 0.001)
        let rate = Double(rows) / elapsed
        let fraction = totalBytes > startOffset ? Double(offset - startOffset) / Double(totalBytes - startOffset) : 1
        let remaining = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0
        let eta = String(format: "%d:%02d", Int(remaining) / 60, Int(remaining) % 60)
        let percent = Int(fraction * 100)
        if plain {
            warn("\(file): \(rows) rows, \(Int(rate)) rows/s, \(percent)%, ETA \(eta)")
        } else {
            let width = 30
            let filled = min(width, Int(fraction * Double(width)))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            FileHandle.standardError.write(Data("\r\(bar) \(percent)%  \(rows) rows  \(Int(rate)) rows/s  ETA \(eta) ".utf8))
            shownOnce = true
        }
    }

    func finish() {
        if shownOnce { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
