import CreditDomain
import HTTPSupport
import MeshProtocol

// The check path's JSON without `Codable`: a check's body read with `JSONReader`, its answer and
// feedback built as `JSONValue`s and written by `JSONText` — the same text `WireCoding` writes for
// the `Codable` types (keys sorted, nil members left out), which a test holds equal. Foundation's
// coders were a fifth of an interceptor's CPU per check.

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
    /// The answer as `WireCoding` encodes it.
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "checkID": .string(checkID), "department": .string(department), "subject": .string(subject), "action": .string(action),
            "decision": .string(decision.rawValue), "reason": .string(reason), "matchedBy": .string(matchedBy),
            "matched": .array(matched.map(\.json)), "replica": replica.json, "at": .string(at),
        ]
        object["measure"] = measure.map(JSONValue.string)
        object["basis"] = basis.map(JSONValue.string)
        object["listing"] = listing.map(JSONValue.string)
        object["initiator"] = initiator.map(JSONValue.string)
        object["document"] = document.map(JSONValue.string)
        return .object(object)
    }
}

extension MatchedMeasure {
    var json: JSONValue {
        var object: [String: JSONValue] = [
            "measureID": .string(measureID), "title": .string(title), "effect": .string(effect.rawValue), "basis": .string(basis),
            "listingID": .string(listingID), "list": .string(list.rawValue), "initiator": .string(initiator.rawValue),
            "document": .string(document), "target": .string(target.rawValue), "until": .string(until),
        ]
        object["suspendedBy"] = suspendedBy.map(JSONValue.string)
        object["grade"] = grade.map { .string($0.rawValue) }
        return .object(object)
    }
}

extension ReplicaState {
    var json: JSONValue {
        var object: [String: JSONValue] = [
            "seq": .int(seq), "activeListings": .int(Int64(activeListings)), "stale": .bool(stale), "state": .string(state),
        ]
        object["publisherHead"] = publisherHead.map(JSONValue.int)
        object["catalogueVersion"] = catalogueVersion.map(JSONValue.string)
        object["lastHeard"] = lastHeard.map(JSONValue.string)
        object["ageSeconds"] = ageSeconds.map(JSONValue.double)
        object["lastError"] = lastError.map(JSONValue.string)
        object["rebuilt"] = rebuilt.map(JSONValue.string)
        return .object(object)
    }
}
