import CLibZMQ

/// A libzmq context. Contexts are thread-safe; one per process is the norm.
public final class ZMQContext: @unchecked Sendable {
    // @unchecked Sendable: libzmq documents contexts as thread-safe; the pointer is never mutated.
    let handle: UnsafeMutableRawPointer

    /// The process-wide context most code should use.
    public static let shared = ZMQContext()

    public init() {
        guard let handle = zmq_ctx_new() else {
            fatalError("zmq_ctx_new failed: \(ZMQError.last("zmq_ctx_new"))")
        }
        self.handle = handle
    }

    /// Makes every blocking call on this context's sockets fail with ETERM.
    public func shutdown() {
        zmq_ctx_shutdown(handle)
    }

    /// libzmq's version as `major.minor.patch`.
    public static var version: String {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }

    /// Whether libzmq was built with a capability such as `curve` or `draft`.
    public static func has(_ capability: String) -> Bool {
        zmq_has(capability) == 1
    }
}
