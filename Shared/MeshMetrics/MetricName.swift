/// Every metric the suite exposes, declared once with its help text. docs/OPERATIONS.md ("Metrics")
/// describes each; a test checks that it names them all.
public enum MetricName: String, CaseIterable, Sendable {
    case streamHead = "credit_stream_head"
    case followerAppliedSeq = "credit_follower_applied_seq"
    case followerLag = "credit_follower_lag"
    case followerSilentSeconds = "credit_follower_silent_seconds"
    case followerState = "credit_follower_state"
    case requests = "credit_requests_total"
    case requestSeconds = "credit_request_seconds"
    case outboxPending = "credit_outbox_pending"
    case deadLetters = "credit_dead_letters_total"
    case pubDropped = "credit_pub_dropped_total"
    case checks = "credit_checks_total"
    case importRows = "credit_import_rows_total"
    case objectionsOpen = "credit_objections_open"
    case objectionsOverdue = "credit_objections_overdue"
    case repairsOpen = "credit_repairs_open"
    case repairsOverdue = "credit_repairs_overdue"
    case acksOverdue = "credit_acks_overdue"
    case portalPagesDirty = "credit_portal_pages_dirty"

    /// The `# HELP` line's text (one line, no backslash).
    public var help: String {
        switch self {
        case .streamHead: "The last seq of the service's own event log."
        case .followerAppliedSeq: "The last seq of the stream the follower applied."
        case .followerLag: "The publisher's head as the follower last heard it, minus the seq it applied."
        case .followerSilentSeconds:
            "Seconds since the follower last heard its publisher (an event or a heartbeat, sent every second), or since it started."
        case .followerState: "1 for the follower's state (connecting, catching-up, live, unreachable, silent, diverged), 0 for the others."
        case .requests: "Requests answered on the bus by op and outcome (ok, refused, failed)."
        case .requestSeconds: "Time spent answering requests on the bus, every outcome."
        case .outboxPending: "Events of the service's log its outboxes have not had acknowledged yet."
        case .deadLetters: "Events kept in bus_dead_letters."
        case .pubDropped: "Events of a followed stream that did not arrive live (PUB dropped them, or the link was down) and were replayed."
        case .checks: "Checks an interceptor answered and logged, by decision."
        case .importRows: "Rows of records.import by outcome (stored, already-present, corrected, refused)."
        case .objectionsOpen: "Objections not yet decided."
        case .objectionsOverdue: "Objections past their acknowledge or decide deadline."
        case .repairsOpen: "Repair applications not yet decided."
        case .repairsOverdue: "Repair applications past their accept or decide deadline."
        case .acksOverdue: "Pushes to a department not acknowledged within dispatch.ackDeadlineSeconds."
        case .portalPagesDirty: "Subject pages of the portal waiting to be rendered again (served from the tables meanwhile)."
        }
    }
}
