import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A RESP2 value: what a Redis server answers.
enum RESPValue: Equatable {
    case simple(String)
    case error(String)
    case integer(Int)
    case bulk([UInt8]?)
    case array([RESPValue]?)

    var array: [RESPValue]? { if case .array(let values) = self { values } else { nil } }
    var bytes: [UInt8]? { if case .bulk(let bytes) = self { bytes } else { nil } }
    var string: String? {
        switch self {
        case .simple(let text): text
        case .bulk(let bytes?): String(decoding: bytes, as: UTF8.self)
        default: nil
        }
    }
    var integer: Int? { if case .integer(let value) = self { value } else { nil } }
}

struct RESPError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// RESP2 for the peer benchmark only (no Swift Redis client on the package mirror): commands as
/// arrays of bulk strings, replies read by a pull parser that asks `fill` for more bytes only when
/// the value in hand is incomplete, so a 6 MB XRANGE page is parsed in one pass.
struct RESPReader {
    private(set) var buffer: [UInt8] = []
    private var position = 0
    /// Appends at least one byte to `buffer`, or throws at end of input.
    let fill: (inout [UInt8]) throws -> Void

    init(fill: @escaping (inout [UInt8]) throws -> Void) { self.fill = fill }

    mutating func next() throws -> RESPValue {
        if position > 0 && position == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            position = 0
        } else if position > 1 << 20 {
            buffer.removeFirst(position)
            position = 0
        }
        return try value()
    }

    private mutating func value() throws -> RESPValue {
        let line = try readLine()
        guard let kind = line.first else { throw RESPError("empty RESP line") }
        let rest = line.dropFirst()
        switch kind {
        case UInt8(ascii: "+"): return .simple(String(decoding: rest, as: UTF8.self))
        case UInt8(ascii: "-"): return .error(String(decoding: rest, as: UTF8.self))
        case UInt8(ascii: ":"): return .integer(try Self.integer(rest))
        case UInt8(ascii: "$"):
            let length = try Self.integer(rest)
            guard length >= 0 else { return .bulk(nil) }
            try need(length + 2)
            let bytes = Array(buffer[position..<position + length])
            position += length + 2
            return .bulk(bytes)
        case UInt8(ascii: "*"):
            let count = try Self.integer(rest)
            guard count >= 0 else { return .array(nil) }
            var values: [RESPValue] = []
            values.reserveCapacity(count)
            for _ in 0..<count { values.append(try value()) }
            return .array(values)
        default: throw RESPError("unknown RESP type \(Character(Unicode.Scalar(kind)))")
        }
    }

    private mutating func need(_ count: Int) throws {
        while buffer.count - position < count { try fill(&buffer) }
    }

    private mutating func readLine() throws -> ArraySlice<UInt8> {
        var scan = position
        while true {
            while scan + 1 < buffer.count {
                if buffer[scan] == 13 && buffer[scan + 1] == 10 {
                    let line = buffer[position..<scan]
                    position = scan + 2
                    return line
                }
                scan += 1
            }
            try fill(&buffer)
        }
    }

    private static func integer(_ bytes: ArraySlice<UInt8>) throws -> Int {
        var value = 0
        var negative = false
        for (offset, byte) in bytes.enumerated() {
            if offset == 0 && byte == UInt8(ascii: "-") {
                negative = true
                continue
            }
            guard byte >= 48 && byte <= 57 else { throw RESPError("bad RESP integer \(String(decoding: bytes, as: UTF8.self))") }
            value = value * 10 + Int(byte - 48)
        }
        return negative ? -value : value
    }

    /// One command as RESP: an array of bulk strings.
    static func encode(_ arguments: [[UInt8]], into out: inout [UInt8]) {
        out += Array("*\(arguments.count)\r\n".utf8)
        for argument in arguments {
            out += Array("$\(argument.count)\r\n".utf8)
            out += argument
            out += [13, 10]
        }
    }
}

/// One blocking connection to a Redis server on loopback.
final class RedisConnection {
    private let socket: Int32
    private var reader: RESPReader

    init(port: Int) throws {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RESPError("socket: \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw RESPError("connect to 127.0.0.1:\(port): errno \(errno)")
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        socket = fd
        reader = RESPReader { buffer in
            let chunk = 256 << 10
            let start = buffer.count
            buffer.append(contentsOf: repeatElement(0, count: chunk))
            let got = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + start, chunk, 0) }
            buffer.removeLast(chunk - max(got, 0))
            if got <= 0 { throw RESPError("connection closed by the server") }
        }
    }

    deinit { close(socket) }

    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.send(socket, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { throw RESPError("send: errno \(errno)") }
            sent += written
        }
    }

    func reply() throws -> RESPValue {
        let value = try reader.next()
        if case .error(let message) = value { throw RESPError("redis: \(message)") }
        return value
    }

    /// One command and its reply.
    @discardableResult
    func command(_ arguments: String...) throws -> RESPValue {
        try command(arguments.map { Array($0.utf8) })
    }

    @discardableResult
    func command(_ arguments: [[UInt8]]) throws -> RESPValue {
        var out: [UInt8] = []
        RESPReader.encode(arguments, into: &out)
        try send(out)
        return try reply()
    }

    /// Commands pipelined: all sent, then every reply read.
    func pipeline(_ commands: [[[UInt8]]]) throws -> [RESPValue] {
        var out: [UInt8] = []
        for command in commands { RESPReader.encode(command, into: &out) }
        try send(out)
        return try commands.map { _ in try reply() }
    }
}

/// The entries of an XRANGE reply, or of one stream in an XREAD reply: (id, fields as pairs).
func streamEntries(_ value: RESPValue) -> [(id: String, fields: [String: [UInt8]])] {
    (value.array ?? []).compactMap { entry in
        guard let parts = entry.array, parts.count == 2, let id = parts[0].string, let list = parts[1].array else { return nil }
        var fields: [String: [UInt8]] = [:]
        for index in stride(from: 0, to: list.count - 1, by: 2) {
            if let name = list[index].string { fields[name] = list[index + 1].bytes ?? [] }
        }
        return (id, fields)
    }
}
