/// Every metric the suite exposes, declared once. docs/OPERATIONS.md ("Metrics") says what each
/// means; a test checks that it names them all.
public enum MetricName: String, CaseIterable, Sendable {
    /// Gauge `{stream}`: the highest seq in the service's own event log.
    case streamHead = "credit_stream_head"
    /// Gauge `{follower, stream}`: the last seq of `stream` the follower applied.
    case followerAppliedSeq = "credit_follower_applied_seq"
    /// Gauge `{follower, stream}`: the publisher's head as last heard minus the applied seq.
    case followerLag = "credit_follower_lag"
    /// Gauge `{follower, stream}`: seconds since the follower last heard its publisher (an event or a
    /// heartbeat; heartbeats come every second), or since it started if it has not heard it yet.
    case followerSilentSeconds = "credit_follower_silent_seconds"
    /// Gauge `{follower, stream, state}`: 1 for the follower's state, 0 for the others.
    case followerState = "credit_follower_state"
    /// Counter `{op, outcome}`: requests answered on the bus, by op and outcome (ok, refused, failed).
    case requests = "credit_requests_total"
    /// Histogram `{op}`: time spent answering requests, every outcome.
    case requestSeconds = "credit_request_seconds"
    /// Gauge `{service}`: events of the service's log that its outboxes have not had acknowledged yet.
    case outboxPending = "credit_outbox_pending"
    /// Counter `{service}`: events kept in `bus_dead_letters`.
    case deadLetters = "credit_dead_letters_total"
    /// Counter `{stream}`: events of a followed stream that did not arrive live (dropped by the
    /// publisher's PUB at its high-water mark, or sent while the link was down) and were replayed.
    case pubDropped = "credit_pub_dropped_total"
    /// Counter `{dept, decision}`: checks answered and logged by an interceptor.
    case checks = "credit_checks_total"
    /// Counter `{outcome}`: import rows by outcome (stored, already-present, corrected, refused).
    case importRows = "credit_import_rows_total"
    /// Gauge: objections not yet decided.
    case objectionsOpen = "credit_objections_open"
    /// Gauge: objections past their acknowledge or decide deadline.
    case objectionsOverdue = "credit_objections_overdue"
    /// Gauge: repair applications not yet decided.
    case repairsOpen = "credit_repairs_open"
    /// Gauge: repair applications past their accept or decide deadline.
    case repairsOverdue = "credit_repairs_overdue"
    /// Gauge `{dept}`: pushes to a department not acknowledged within `dispatch.ackDeadlineSeconds`.
    case acksOverdue = "credit_acks_overdue"
}
