import Bus
import CreditDomain
import Foundation
import GRDB
import MeshProtocol

/// Follows grading: each inspection result (`inspection.result`) becomes a record of the department that
/// entered it — an other administrative act of category 行政监督检查 (Shaanxi Plan 三(四)3), keyed by its
/// document number, so a corrected result is a new version of the same record. The department must hold
/// `other-administrative-act` in its authority (`authority.<dept>.records`); a result it may not submit is
/// kept in `bus_dead_letters` with the refusal.
struct InspectionResultApplier: StreamApplier {
    let log: EventLog
    var authority: AuthorityRules = .standard

    func apply(_ event: Event, in db: Database) throws {
        guard event.type == "inspection.result" else { return }
        let result = try event.decodeData(InspectionResult.self)
        try authority.mayImport(.otherAdministrativeAct, department: result.department)
        _ = try RegistrySchema.store([RegistrySchema.PreparedRecord(result.record)], source: result.department, in: db, log: log)
    }
}
