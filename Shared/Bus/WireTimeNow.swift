import Foundation
import MeshProtocol

/// The current time as the wire writes it; one place so tests and logs agree.
enum WireTimeNow {
    static func text() -> String { WireTime.format(Date()) }
}
