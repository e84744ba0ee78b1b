import CLibZMQ

/// An error reported by libzmq, with the operation that failed and libzmq's own explanation.
public struct ZMQError: Error, CustomStringConvertible, Sendable, Equatable {
    public let operation: String
    public let code: Int32

    public init(operation: String, code: Int32) {
        self.operation = operation
        self.code = code
    }

    /// Captures `zmq_errno()` for the operation that just failed.
    static func last(_ operation: String) -> ZMQError {
        ZMQError(operation: operation, code: zmq_errno())
    }

    public var description: String {
        "\(operation) failed: \(String(cString: zmq_strerror(code))) (errno \(code))"
    }

    /// The call would block (EAGAIN): nothing to receive, or the send high-water mark is reached.
    public var wouldBlock: Bool { code == EAGAIN }

    /// The context was shut down while the call was in progress.
    public var contextTerminated: Bool { code == ETERM }
}
