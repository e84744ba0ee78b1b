import CLibZMQ

/// A CurveZMQ key pair in Z85 text form (40 characters each).
public struct CurveKeyPair: Sendable, Equatable, Codable {
    public var publicKey: String
    public var secretKey: String

    public init(publicKey: String, secretKey: String) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// A fresh key pair from libsodium through libzmq.
    public static func generate() throws -> CurveKeyPair {
        var publicKey = [CChar](repeating: 0, count: 41)
        var secretKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicKey, &secretKey) == 0 else {
            throw ZMQError.last("zmq_curve_keypair")
        }
        return CurveKeyPair(publicKey: String(cString: publicKey), secretKey: String(cString: secretKey))
    }

    /// The public key that belongs to a Z85 secret key.
    public static func publicKey(forSecret secretKey: String) throws -> String {
        var publicKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_public(&publicKey, secretKey) == 0 else {
            throw ZMQError.last("zmq_curve_public")
        }
        return String(cString: publicKey)
    }

    /// Encodes 32 raw key bytes (as received in a ZAP request) as Z85 text.
    public static func z85(_ raw: [UInt8]) -> String? {
        guard raw.count % 4 == 0 else { return nil }
        var out = [CChar](repeating: 0, count: raw.count * 5 / 4 + 1)
        let ok = raw.withUnsafeBufferPointer { zmq_z85_encode(&out, $0.baseAddress, raw.count) }
        return ok == nil ? nil : String(cString: out)
    }
}
