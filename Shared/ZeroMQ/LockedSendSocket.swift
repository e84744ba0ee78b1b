import Synchronization

/// A send-only socket (PUB) that any thread sends on at once, one thread at a time under a lock,
/// instead of queueing to a `SocketLoop`'s thread: a message then goes from the sending thread
/// straight to libzmq's I/O thread, one thread wake-up fewer. libzmq lets a socket move between
/// threads behind a full memory barrier, which the lock gives; the socket is in no poll set.
public final class LockedSendSocket: Sendable {
    private let socket: Mutex<ZMQSocket?>

    public init(_ socket: consuming sending ZMQSocket) {
        self.socket = Mutex(socket)
    }

    /// Sends without blocking; a full queue drops it, as PUB does, and so does a closed socket.
    public func send(_ frames: [[UInt8]]) { send(all: [frames]) }

    /// Sends messages in order, under one hold of the lock (a commit's events).
    public func send(all messages: [[[UInt8]]]) {
        socket.withLock { socket in
            guard let socket else { return }
            for frames in messages { _ = try? socket.send(frames, dontWait: true) }
        }
    }

    /// Runs `body` with the socket under the lock (unbinding it, say); not when the socket is
    /// closed. Keep `body` short: every send waits for it.
    public func perform(_ body: (ZMQSocket) throws -> Void) throws {
        try socket.withLock { socket in
            guard let socket else { return }
            try body(socket)
        }
    }

    /// Closes the socket; sends after this are dropped.
    public func close() {
        socket.withLock { socket in
            socket?.close()
            socket = nil
        }
    }
}
