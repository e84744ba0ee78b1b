import Bus
import CreditDomain
import Foundation
import GRDB
import HTTPSupport
import Logging
import MeshMetrics
import ServiceKit
import ServiceLifecycle

/// Assembles sanction-dispatch: database, catalogue load, bus server, and its two followers
/// (registry for court records, repair for approvals).
///
/// Config keys: `dispatch.pub`, `dispatch.router`, `dispatch.catalogue` (path of the measure
/// catalogue, default `config/catalogue.yaml`), `dispatch.courtListingYears` (default 2),
/// `dispatch.calendar` (working-day calendar, default `config/calendar.yaml`),
/// `dispatch.objectionWorkingDays` (default 5), `dispatch.departments` (roster pushed to, default
/// `interceptors.departments`), `dispatch.ackDeadlineSeconds` (default 60), `dispatch.scheduleSeconds`
/// (default 60), `dispatch.http` (the operator's dashboard and `/metrics`, default 127.0.0.1:8300),
/// `dispatch.measureRules` (default `config/measure-rules.yaml`), `dispatch.creditOffice` (default ndrc),
/// `todayOffsetDays` (default 0), and the endpoints of `registry`, `repair` and `grading`.
public enum DispatchService {
    public static func make(topology: Topology, logger: Logger) throws -> [any Service] {
        let config = topology.config
        let database = try ServiceDatabase.open(path: try topology.databasePath(for: "dispatch")) {
            DispatchSchema.register(in: &$0)
        }
        let log = EventLog(stream: CentralService.dispatch.rawValue)
        let security = try topology.serviceSecurity(as: CentralService.dispatch.rawValue, logger: logger)
        let (catalogue, cataloguePath) = try config.file(
            "dispatch.catalogue", default: "config/catalogue.yaml", load: CatalogueLoader.load(contentsOf:))
        let changed: Bool
        do {
            changed = try database.write { try CatalogueStore.install(catalogue, in: $0, log: log) }
        } catch let conflict as CatalogueVersionConflict {
            throw ConfigError(key: "dispatch.catalogue", source: cataloguePath, reason: "\(conflict)")
        }
        logger.info(
            "Measure catalogue in force",
            metadata: [
                "catalogue.version": "\(catalogue.version)", "catalogue.measures": "\(catalogue.measures.count)",
                "catalogue.changed": "\(changed)",
            ])
        let years = try config.int("dispatch.courtListingYears", default: 2, range: 1...10)
        // Rehearsing a schedule (and the tests of windows and terms) moves the days dispatch works by.
        let offsetDays = try config.todayOffsetDays()
        if offsetDays != 0 {
            logger.warning("Dates shifted by todayOffsetDays; never in production", metadata: ["offset.days": "\(offsetDays)"])
        }
        let clock = offsetDays == 0 ? ServiceClock.system : ServiceClock(ContinuousClock(), wallTime: try config.shiftedWallTime())
        let today: @Sendable () -> String = { FieldDates.isoDate(clock.date) }
        let (calendar, calendarPath) = try config.file(
            "dispatch.calendar", default: "config/calendar.yaml", load: WorkingCalendar.load(contentsOf:))
        let departments = config.string("dispatch.departments", default: topology.interceptorDepartments.joined(separator: ","))
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let policy = DispatchPolicy(
            objectionWorkingDays: try config.int("dispatch.objectionWorkingDays", default: 5, range: 0...60), calendar: calendar,
            departments: departments,
            ackDeadlineSeconds: try config.int("dispatch.ackDeadlineSeconds", default: 60, range: 1...604_800),
            authority: try config.section("authority", default: .standard, parse: AuthorityRules.parse))
        let store = ListingStore(log: log)
        let feedbackLog = DispatchHandler.feedbackStream()
        var handler = DispatchHandler(writer: database, log: log, feedbackLog: feedbackLog, policy: policy, clock: clock, logger: logger)
        let (measureRules, rulesPath) = try config.file(
            "dispatch.measureRules", default: "config/measure-rules.yaml", load: MeasureRulesLoader.load(contentsOf:))
        let creditOffice: Department
        do {
            creditOffice = try Department(validating: config.string("dispatch.creditOffice", default: Department.ndrc.rawValue))
        } catch {
            throw ConfigError(key: "dispatch.creditOffice", source: "config", reason: "\(error)")
        }
        let rules = RuleMeasures(
            rules: measureRules, store: store, calendarWatch: handler.calendarWatch, objectionWorkingDays: policy.objectionWorkingDays,
            creditOffice: creditOffice, today: today, logger: logger)
        handler.rules = rules
        // A department a rule names must hold the list it would initiate (authority.<dept>.lists).
        for (key, list, department) in measureRules.rules.compactMap({ rule -> (String, ListType, String)? in
            guard rule.decider != MeasureRule.recordSource else { return nil }
            switch rule.measure {
            case .keyAttention: return ("rules[\(rule.id)].decider", .keyAttention, rule.decider)
            case .blackProposal: return ("rules[\(rule.id)].decider", .black, rule.decider)
            case .reminder, .interview: return nil
            }
        }) + measureRules.redList.map({ ("redList[\($0.id)].decider", ListType.red, $0.decider) }) {
            do {
                try policy.authority.mayInitiate(list, department: department)
            } catch {
                throw ConfigError(key: "dispatch.measureRules", source: rulesPath, reason: "\(key): \(error.description)")
            }
        }
        let namedGrades = catalogue.namedGrades
        let resynced = try database.write { try rules.resyncGradeListings(named: namedGrades, in: $0) }
        logger.info(
            "Measure rules in force",
            metadata: [
                "rules.version": "\(measureRules.version)", "rules.path": "\(rulesPath)", "rules.count": "\(measureRules.rules.count)",
                "rules.redList": "\(measureRules.redList.count)",
                "grades.named": "\(namedGrades.map(\.rawValue).sorted().joined(separator: ","))",
                "grades.resynced": "\(resynced)",
            ])
        if let warning = handler.calendarWatch.startupWarning(today: today()) {
            logger.warning(
                "Working-day calendar does not cover this year", metadata: ["calendar.path": "\(calendarPath)", "warning": "\(warning)"])
        }
        handler.assessmentSources = AssessmentSources(
            security: security, disclosure: try topology.endpoints(of: .disclosure), grading: try topology.endpoints(of: .grading))
        let endpoints = try topology.endpoints(of: .dispatch)
        let metrics = ServiceMetrics(service: log.stream)
        handler.exposeOverdueAcknowledgements(in: metrics, logger: logger)
        let server = BusServer(
            service: "sanction-dispatch",
            options: security.secure(try topology.serverOptions(section: "dispatch", endpoints: endpoints)),
            log: log, alsoPublishing: [feedbackLog], reader: database, handler: handler, metrics: metrics, logger: logger)
        let scheduler = DispatchScheduler(
            handler: handler, interval: .seconds(try config.int("dispatch.scheduleSeconds", default: 60, range: 1...86_400)),
            logger: logger)
        let http = try config.hostPort("dispatch.http", default: HostPort(host: topology.host, port: 8300))
        let dashboard = Dashboard(
            handler: handler, targets: try SuiteStatus.targets(topology, skippingUnconfigured: true), security: security, clock: clock)
        let router = DispatchRoutes.router(handler: handler, dashboard: dashboard)
        router.addMetrics(metrics)
        let listener = HTTPListener(
            key: "dispatch.http", host: http.host, port: http.port, router: router, serverName: "sanction-dispatch", logger: logger)
        let registry = try topology.endpoints(of: .registry)
        let repair = try topology.endpoints(of: .repair)
        let grading = try topology.endpoints(of: .grading)
        return [
            server, scheduler, listener,
            StreamSubscriber(
                stream: "registry", options: try security.subscriber(toward: registry),
                sink: DatabaseStreamSink(
                    stream: "registry", writer: database,
                    applier: RegistryApplier(store: store, courtListingYears: years, today: today, rules: rules), logger: logger),
                metrics: metrics, logger: logger),
            StreamSubscriber(
                stream: "repair", options: try security.subscriber(toward: repair),
                sink: DatabaseStreamSink(
                    stream: "repair", writer: database, applier: RepairApplier(store: store, authority: policy.authority, logger: logger),
                    logger: logger),
                metrics: metrics, logger: logger),
            StreamSubscriber(
                stream: "grading", options: try security.subscriber(toward: grading),
                sink: DatabaseStreamSink(
                    stream: "grading", writer: database, applier: GradeApplier(rules: rules, namedGrades: namedGrades), logger: logger),
                metrics: metrics, logger: logger),
        ]
    }
}
