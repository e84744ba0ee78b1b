import CreditDomain
import HTTPSupport
import MeshProtocol

// The check path's JSON without `Codable`: a check's body read with `JSONReader`, its answer
// written member by member with `JSONWriter` — the same text `WireCoding` writes for the `Codable`
// types (keys sorted, nil members left out), which a test holds equal. Foundation's coders were a
// fifth of an interceptor's CPU per check.

extension CheckRequest {
    /// Reads a check from its JSON body, refusing a missing or mistyped member by its name as
    /// `JSONResponses.decode` does (`body.action is missing`); members it does not know are ignored.
    public init(body: [UInt8]) throws(ReplyError) {
        guard let value = try? JSONReader.value(body) else { throw JSONResponses.notJSON(body) }
        guard case .object(let members) = value else {
            throw ReplyError(.badRequest, "body has the wrong type (expected a JSON object)")
        }
        func text(_ name: String) throws(ReplyError) -> String? {
            switch members[name] {
            case nil, .null?: return nil
            case .string(let text)?: return text
            default: throw ReplyError(.badRequest, "body.\(name) has the wrong type (expected String)")
            }
        }
        guard let action = try text("action") else {
            throw ReplyError(.badRequest, members["action"] == nil ? "body.action is missing" : "body.action is null (expected String)")
        }
        self.init(
            subject: try text("subject"), name: try text("name"), action: action, requester: try text("requester"),
            reference: try text("reference"))
    }
}

extension CheckAnswer {
    /// The answer's JSON text as `WireCoding` encodes it (keys sorted, nil members left out),
    /// written member by member: no dictionary built, no keys sorted per check.
    public var jsonBytes: [UInt8] {
        var writer = JSONWriter(capacity: 768 + 512 * matched.count)
        writer.raw("{")
        writer.memberKey("action", first: true)
        writer.string(action)
        writer.member("at", at)
        writer.member("basis", basis)
        writer.member("checkID", checkID)
        writer.member("decision", decision.rawValue)
        writer.member("department", department)
        writer.member("document", document)
        writer.member("initiator", initiator)
        writer.member("listing", listing)
        writer.memberKey("matched")
        writer.raw("[")
        for (index, measure) in matched.enumerated() {
            if index > 0 { writer.raw(",") }
            measure.write(to: &writer)
        }
        writer.raw("]")
        writer.member("matchedBy", matchedBy)
        writer.member("measure", measure)
        writer.member("reason", reason)
        writer.memberKey("replica")
        replica.write(to: &writer)
        writer.member("subject", subject)
        writer.raw("}")
        return writer.bytes
    }
}

extension MatchedMeasure {
    func write(to writer: inout JSONWriter) {
        writer.raw("{")
        writer.memberKey("basis", first: true)
        writer.string(basis)
        writer.member("document", document)
        writer.member("effect", effect.rawValue)
        writer.member("grade", grade?.rawValue)
        writer.member("initiator", initiator.rawValue)
        writer.member("list", list.rawValue)
        writer.member("listingID", listingID)
        writer.member("measureID", measureID)
        writer.member("suspendedBy", suspendedBy)
        writer.member("target", target.rawValue)
        writer.member("title", title)
        writer.member("until", until)
        writer.raw("}")
    }
}

extension ReplicaState {
    func write(to writer: inout JSONWriter) {
        writer.raw("{")
        writer.memberKey("activeListings", first: true)
        writer.number(Int64(activeListings))
        writer.member("ageSeconds", ageSeconds)
        writer.member("catalogueVersion", catalogueVersion)
        writer.member("lastError", lastError)
        writer.member("lastHeard", lastHeard)
        writer.member("publisherHead", publisherHead)
        writer.member("rebuilt", rebuilt)
        writer.member("seq", seq)
        writer.member("stale", stale)
        writer.member("state", state)
        writer.raw("}")
    }
}
