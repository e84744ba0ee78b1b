import MeshProtocol
import Testing

@testable import CreditCtlCore

/// `creditctl status` prints the warnings services put in their status details.
@Suite struct StatusWarningsTests {
    @Test func findsWarningsAtTheTopAndOneLevelDown() {
        let details: JSONValue = .object([
            "activeListings": 3, "warning": "top",
            "calendar": .object(["lastYear": 2026, "warning": "dispatch.calendar lists no holidays for 2027"]),
        ])
        #expect(Status.warnings(in: details) == ["top", "dispatch.calendar lists no holidays for 2027"])
        #expect(Status.warnings(in: .object(["calendar": .object(["lastYear": 2026])])).isEmpty)
        #expect(Status.warnings(in: nil).isEmpty)
    }
}
