import Bus
import CreditDomain
import Foundation
import GRDB
import MeshProtocol

/// Body of `list.find`: an operator pages through listings by list, initiator, status, subject and
/// start date. Every field is optional; `status` defaults to `active`.
public struct ListingFilter: Codable, Sendable, Equatable {
    public var list: String?
    public var initiator: String?
    /// `pending`, `active`, `removed`, or `any`.
    public var status: String?
    public var subject: String?
    /// Listings whose `start` is on or after this date (yyyy-MM-dd).
    public var from: String?
    /// Listings whose `start` is on or before this date.
    public var to: String?
    /// The `next` of the previous page.
    public var after: String?
    public var limit: Int?

    public init(
        list: String? = nil, initiator: String? = nil, status: String? = nil, subject: String? = nil, from: String? = nil,
        to: String? = nil, after: String? = nil, limit: Int? = nil
    ) {
        self.list = list
        self.initiator = initiator
        self.status = status
        self.subject = subject
        self.from = from
        self.to = to
        self.after = after
        self.limit = limit
    }

    public static let defaultLimit = 100
    public static let maxLimit = 1_000
}

/// One page of `list.find`, in listing order; `next` is the `after` of the following page, or nil.
public struct ListingPage: Codable, Sendable {
    public var listings: [Listing]
    public var next: String?
}

extension DispatchHandler {
    func find(_ filter: ListingFilter) async throws -> ListingPage {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let list = filter.list {
            guard ListType(rawValue: list) != nil else {
                throw ReplyError(.invalid, "list.find: list \"\(list)\" is not one of black, key-attention, red")
            }
            conditions.append("list = ?")
            arguments += [list]
        }
        switch filter.status ?? "active" {
        case "any": break
        case let status where Listing.Status(rawValue: status) != nil:
            conditions.append("status = ?")
            arguments += [status]
        case let status:
            throw ReplyError(.invalid, "list.find: status \"\(status)\" is not one of pending, active, removed, any")
        }
        if let initiator = filter.initiator {
            conditions.append("initiator = ?")
            arguments += [initiator.trimmingCharacters(in: .whitespaces).lowercased()]
        }
        if let subject = filter.subject {
            conditions.append("subject_id = ?")
            arguments += [subject.trimmingCharacters(in: .whitespaces).uppercased()]
        }
        for (field, value, comparison) in [("from", filter.from, ">="), ("to", filter.to, "<=")] {
            guard let value else { continue }
            let date: String
            do {
                date = try FieldDates.isoDate(value, field: field)
            } catch {
                throw ReplyError(.invalid, "list.find: \(error)")
            }
            conditions.append("json_extract(data, '$.start') \(comparison) ?")
            arguments += [date]
        }
        let limit = filter.limit ?? ListingFilter.defaultLimit
        guard (1...ListingFilter.maxLimit).contains(limit) else {
            throw ReplyError(.invalid, "list.find: limit must be 1–\(ListingFilter.maxLimit), got \(limit)")
        }
        return try await writer.read { [conditions, arguments] db in
            var conditions = conditions
            var arguments = arguments
            if let after = filter.after {
                guard let number = try Int64.fetchOne(db, sql: "SELECT number FROM listings WHERE id = ?", arguments: [after]) else {
                    throw ReplyError(.invalid, "list.find: after \"\(after)\" is no listing; pass the next of the previous page")
                }
                conditions.append("number > ?")
                arguments += [number]
            }
            let clause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            // One more than the page tells whether there is a next one.
            let rows = try String.fetchAll(
                db, sql: "SELECT data FROM listings \(clause) ORDER BY number LIMIT ?", arguments: arguments + [limit + 1])
            let listings = try rows.prefix(limit).map(ListingStore.decode)
            return ListingPage(listings: listings, next: rows.count > limit ? listings.last?.id : nil)
        }
    }
}
