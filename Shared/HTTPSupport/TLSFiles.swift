import Foundation
import HummingbirdTLS
import MeshProtocol
import NIOSSL

/// A server's TLS certificate chain and private key, read from PEM files named by two config keys
/// (`interceptors.<dept>.tls.certificate`, `.tls.key`).
public struct TLSFiles: Sendable, Equatable {
    public var certificate: String
    public var key: String
    /// The config keys the paths came from, for errors.
    public var certificateKey: String
    public var keyKey: String

    public init(certificate: String, key: String, certificateKey: String, keyKey: String) {
        self.certificate = certificate
        self.key = key
        self.certificateKey = certificateKey
        self.keyKey = keyKey
    }

    /// Reads both files: a chain of at least one certificate (the server's first) and its key.
    public func serverConfiguration() throws(TLSFilesError) -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificate)
        } catch {
            throw TLSFilesError(
                key: certificateKey,
                reason: "\(certificate) is not a readable PEM certificate chain (\(error)); give the server's certificate first")
        }
        guard !chain.isEmpty else {
            throw TLSFilesError(key: certificateKey, reason: "\(certificate) holds no certificate")
        }
        let privateKey: NIOSSLPrivateKey
        do {
            privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
        } catch {
            throw TLSFilesError(key: keyKey, reason: "\(key) is not a readable, unencrypted PEM private key (\(error))")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
        configuration.minimumTLSVersion = .tlsv12
        // Made once here so that a key that does not belong to the certificate stops start-up.
        do {
            _ = try NIOSSLContext(configuration: configuration)
        } catch {
            throw TLSFilesError(key: keyKey, reason: "\(key) does not go with the certificate in \(certificate) (\(error))")
        }
        return configuration
    }
}

/// A certificate or key file that cannot serve TLS, naming its config key.
public struct TLSFilesError: Error, CustomStringConvertible {
    public var key: String
    public var reason: String

    public var description: String { "config \(key): \(reason)" }
}
