import CLibZMQ
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Owns a set of sockets on one dedicated thread running `zmq_poll`.
///
/// libzmq sockets are not thread-safe and their blocking calls must stay off Swift's cooperative
/// pool, so every socket lives here: received messages are handed to a callback on the loop thread
/// (which should only enqueue them, e.g. into an `AsyncStream`), and other threads reach a socket
/// by enqueueing work that the loop runs between polls. An eventfd wakes the poller.
public final class SocketLoop: @unchecked Sendable {
    // @unchecked Sendable: `sockets`, `handlers` and `running` are touched only on the loop thread
    // once `start()` has run (before it, only by the creating thread); the command queue is a Mutex.

    /// Names a socket owned by a loop.
    public struct SocketHandle: Hashable, Sendable {
        let index: Int
    }

    public typealias MessageHandler = @Sendable (ZMQMessage) -> Void

    private enum Command {
        case send(SocketHandle, [[UInt8]], (@Sendable (Bool) -> Void)?)
        case stop
    }

    public let name: String
    private let wakeFD: Int32
    private let commands = Mutex<[Command]>([])
    private let sendFailures = Atomic<Int>(0)
    private let stopped = DispatchSemaphore(value: 0)
    private var sockets: [ZMQSocket] = []
    private var handlers: [MessageHandler?] = []
    private var started = false
    private var running = true

    public init(name: String) throws {
        self.name = name
        let fd = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard fd >= 0 else { throw ZMQError(operation: "eventfd for loop \(name)", code: errno) }
        self.wakeFD = fd
    }

    deinit { close(wakeFD) }

    /// Adds a socket before the loop starts. `onMessage` runs on the loop thread for each message;
    /// pass nil for a send-only socket (a PUB that any thread sends on is a `LockedSendSocket`).
    @discardableResult
    public func add(_ socket: ZMQSocket, onMessage: MessageHandler?) -> SocketHandle {
        precondition(!started, "sockets are added before the loop starts")
        sockets.append(socket)
        handlers.append(onMessage)
        return SocketHandle(index: sockets.count - 1)
    }

    /// Messages that could not be sent because a queue was full (PUB and ROUTER drop silently).
    public var droppedSends: Int { sendFailures.load(ordering: .relaxed) }

    public func start() {
        precondition(!started, "a loop starts once")
        started = true
        let thread = Thread { [self] in run() }
        thread.name = "zmq-\(name)"
        thread.start()
    }

    /// Queues a message for sending; never blocks. A full queue drops it (counted in `droppedSends`).
    public func send(_ frames: [[UInt8]], on socket: SocketHandle) {
        enqueue(.send(socket, frames, nil))
    }

    /// Queues a message and reports on the loop thread whether libzmq accepted it (false when the
    /// queue was full or, with `ZMQ_IMMEDIATE`, no peer is connected yet).
    public func send(_ frames: [[UInt8]], on socket: SocketHandle, completion: @escaping @Sendable (Bool) -> Void) {
        enqueue(.send(socket, frames, completion))
    }

    /// Stops the loop and closes its sockets; returns once the thread has finished.
    public func stop() {
        guard started else {
            sockets.forEach { $0.close() }
            return
        }
        enqueue(.stop)
        stopped.wait()
    }

    private func enqueue(_ command: Command) {
        commands.withLock { $0.append(command) }
        var one: UInt64 = 1
        _ = withUnsafeBytes(of: &one) { write(wakeFD, $0.baseAddress, 8) }
    }

    // MARK: - Loop thread

    private func run() {
        var items = [zmq_pollitem_t](repeating: zmq_pollitem_t(), count: sockets.count + 1)
        items[0].socket = nil
        items[0].fd = wakeFD
        items[0].events = Int16(ZMQ_POLLIN)
        for (index, socket) in sockets.enumerated() {
            items[index + 1].socket = socket.handle
            items[index + 1].events = handlers[index] == nil ? 0 : Int16(ZMQ_POLLIN)
        }
        while running {
            let count = items.withUnsafeMutableBufferPointer { zmq_poll($0.baseAddress, Int32($0.count), -1) }
            if count < 0 {
                if zmq_errno() == EINTR { continue }
                break  // ETERM: the context was shut down
            }
            if items[0].revents & Int16(ZMQ_POLLIN) != 0 {
                var counter: UInt64 = 0
                _ = withUnsafeMutableBytes(of: &counter) { read(wakeFD, $0.baseAddress, 8) }
                drainCommands()
            }
            for index in sockets.indices where items[index + 1].revents & Int16(ZMQ_POLLIN) != 0 {
                receiveBatch(from: index)
            }
        }
        sockets.forEach { $0.close() }
        stopped.signal()
    }

    private func drainCommands() {
        let pending = commands.withLock { queue -> [Command] in
            let taken = queue
            queue.removeAll(keepingCapacity: true)
            return taken
        }
        for command in pending {
            switch command {
            case .send(let handle, let frames, let completion):
                do {
                    try sockets[handle.index].send(frames, dontWait: true)
                    completion?(true)
                } catch {
                    sendFailures.add(1, ordering: .relaxed)
                    completion?(false)
                }
            case .stop:
                running = false
            }
        }
    }

    /// Receives up to a bounded batch so one busy socket cannot starve the others or the commands.
    private func receiveBatch(from index: Int) {
        guard let handler = handlers[index] else { return }
        for _ in 0..<512 {
            do {
                guard let message = try sockets[index].receive(dontWait: true) else { return }
                handler(message)
            } catch {
                return
            }
        }
    }
}
