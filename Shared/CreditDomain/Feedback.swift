import MeshProtocol

/// What an interceptor reports to sanction-dispatch for a check that matched a listing (执行反馈, Huzhou Joint
/// Reward and Punishment Opinions item 1, Huzhou Judgment-Debtor Opinions 二(三)3): which department did what
/// to whom, under which listing and measure. Sent as the `feedback.block` event of the interceptor's stream
/// and forwarded until dispatch acknowledges it.
public struct CheckFeedback: Codable, Sendable, Hashable {
    public var checkID: String
    public var department: Department
    public var subjectID: String
    public var action: String
    /// `block`, `review` or `fast-track`.
    public var decision: String
    public var listingID: String
    public var measureID: String?
    public var decidedAt: String
    /// The business system's own reference for the transaction, when it gave one.
    public var reference: String?

    public init(
        checkID: String, department: Department, subjectID: String, action: String, decision: String, listingID: String,
        measureID: String?, decidedAt: String, reference: String?
    ) {
        self.checkID = checkID
        self.department = department
        self.subjectID = subjectID
        self.action = action
        self.decision = decision
        self.listingID = listingID
        self.measureID = measureID
        self.decidedAt = decidedAt
        self.reference = reference
    }
}

extension CheckFeedback: JSONValueReadable {
    /// Reads feedback as its `Codable` conformance does, without the round trip through text and
    /// `JSONDecoder` (a test holds the two equal): dispatch reads every feedback event this way.
    public init(json: JSONValue) throws(WireShapeError) {
        let fields = try JSONFields(json, "feedback")
        self.init(
            checkID: try fields.text("checkID"), department: Department(rawValue: try fields.text("department")),
            subjectID: try fields.text("subjectID"), action: try fields.text("action"), decision: try fields.text("decision"),
            listingID: try fields.text("listingID"), measureID: try fields.optionalText("measureID"),
            decidedAt: try fields.text("decidedAt"), reference: try fields.optionalText("reference"))
    }

    /// The feedback as `WireCoding` encodes it (an absent optional is left out).
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "checkID": .string(checkID), "department": .string(department.rawValue), "subjectID": .string(subjectID),
            "action": .string(action), "decision": .string(decision), "listingID": .string(listingID), "decidedAt": .string(decidedAt),
        ]
        object["measureID"] = measureID.map(JSONValue.string)
        object["reference"] = reference.map(JSONValue.string)
        return .object(object)
    }
}
