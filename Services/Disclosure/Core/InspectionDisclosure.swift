import Bus
import CreditDomain
import Foundation
import GRDB
import HTTPSupport
import Hummingbird
import MeshProtocol

/// "One public" of double-random inspections (双随机、一公开): every draw is published with its inputs
/// (plan, seed source, population), its seed and its result, so that anyone can draw again and compare
/// (`creditctl inspect verify --file`), and the results as they are entered.
///
/// - `GET /api/v1/inspections?plan=&limit=`: `[InspectionDrawSummary]`, newest first.
/// - `GET /api/v1/inspections/{id}`: the `InspectionDraw` with its `results`; `404` for an unknown id.
///
/// Populations hold organisations only (plans never draw natural persons), so nothing here is masked.
public enum InspectionDisclosure {
    public static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("disclosure-inspections-v1") { db in
            try db.create(table: "public_inspections") { t in
                t.primaryKey("id", .text)
                t.column("plan", .text).notNull().indexed()
                t.column("data", .text).notNull()
            }
            try db.create(table: "public_inspection_results") { t in
                t.column("draw_id", .text).notNull()
                t.column("subject_id", .text).notNull()
                t.column("data", .text).notNull()
                t.primaryKey(["draw_id", "subject_id"])
            }
        }
    }

    /// Adds the routes to the portal's router.
    static func addRoutes(to router: Router<BasicRequestContext>, reader: any DatabaseReader) -> Router<BasicRequestContext> {
        router.get("/api/v1/inspections") { request, _ -> Response in
            let plan = request.uri.queryParameters.get("plan").map { String($0) }
            let limit = min(max(request.uri.queryParameters.get("limit", as: Int.self) ?? 100, 1), 1_000)
            do {
                return JSONResponses.ok(try await reader.read { try draws(plan: plan, limit: limit, in: $0) })
            } catch {
                return JSONResponses.failure(ReplyError(.internal, "inspection draws could not be read"))
            }
        }
        router.get("/api/v1/inspections/{id}") { _, context -> Response in
            let id = context.parameters.get("id") ?? ""
            do {
                guard let draw = try await reader.read({ try Self.draw(id, in: $0) }) else {
                    return JSONResponses.failure(ReplyError(.notFound, "no inspection draw \(id); GET /api/v1/inspections lists them"))
                }
                return JSONResponses.ok(draw)
            } catch {
                return JSONResponses.failure(ReplyError(.internal, "inspection draw \(id) could not be read"))
            }
        }
        return router
    }

    static func draw(_ id: String, in db: Database) throws -> InspectionDraw? {
        guard let data = try String.fetchOne(db, sql: "SELECT data FROM public_inspections WHERE id = ?", arguments: [id]) else {
            return nil
        }
        var draw = try WireCoding.decode(InspectionDraw.self, from: Array(data.utf8))
        draw.results = try String.fetchAll(
            db, sql: "SELECT data FROM public_inspection_results WHERE draw_id = ? ORDER BY subject_id", arguments: [id]
        ).map { try WireCoding.decode(InspectionResult.self, from: Array($0.utf8)) }
        return draw
    }

    static func draws(plan: String?, limit: Int, in db: Database) throws -> [InspectionDrawSummary] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT p.data, (SELECT COUNT(*) FROM public_inspection_results r WHERE r.draw_id = p.id) AS results
                FROM public_inspections p WHERE ?1 IS NULL OR p.plan = ?1 ORDER BY p.id DESC LIMIT ?2
                """,
            arguments: [plan, limit]
        ).map { row in
            InspectionDrawSummary(
                try WireCoding.decode(InspectionDraw.self, from: Array((row["data"] as String).utf8)), results: row["results"])
        }
    }
}

/// Follows grading: a draw is published when announced (`inspection.drawn`), each result when entered
/// (`inspection.result`, the latest version of a corrected one).
struct InspectionDisclosureApplier: StreamApplier {
    func apply(_ event: Event, in db: Database) throws {
        switch event.type {
        case "inspection.drawn":
            var draw = try event.decodeData(InspectionDraw.self)
            draw.results = nil
            try db.execute(
                sql: "INSERT OR REPLACE INTO public_inspections(id, plan, data) VALUES (?, ?, ?)",
                arguments: [draw.id, draw.plan.id, String(decoding: try WireCoding.encode(draw), as: UTF8.self)])
        case "inspection.result":
            let result = try event.decodeData(InspectionResult.self)
            try db.execute(
                sql: "INSERT OR REPLACE INTO public_inspection_results(draw_id, subject_id, data) VALUES (?, ?, ?)",
                arguments: [result.draw, result.subject, String(decoding: try WireCoding.encode(result), as: UTF8.self)])
        default:
            return
        }
    }
}
