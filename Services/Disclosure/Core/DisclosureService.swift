import Bus
import CreditDomain
import Foundation
import GRDB
import HTTPSupport
import Hummingbird
import Logging
import MeshMetrics
import MeshProtocol
import ServiceKit
import ServiceLifecycle

/// The public portal (HTML, and the same as JSON under `/api/v1`): search by name or code, a subject's
/// page, black and red lists, licences, penalties and commitments, 双公示 statistics, a listing's notice
/// for whoever holds its code. Only masked identifiers are ever stored or shown (docs/PROTOCOL.md 8.5).
enum DisclosureRoutes {
    /// Fetches a listing's notice from sanction-dispatch (`notice.get`).
    typealias NoticeSource = @Sendable (_ listing: String, _ code: String) async throws -> JSONValue
    /// Hands a form to repair (`intake.submit`).
    typealias IntakeSink = @Sendable (_ form: IntakeForm) async throws -> JSONValue

    /// What the objection and repair forms post.
    struct PostedForm: Decodable {
        var target: String
        var code: String?
        var applicant: String?
        var contact: String?
        var text: String?
    }

    static func router(
        queries: DisclosureQueries, pages: PortalPage, stored: StoredPages, reports: ReportDesk, pdf: ReportPDF,
        notices: @escaping NoticeSource,
        intake: @escaping IntakeSink, logger: Logger
    )
        -> Router<BasicRequestContext>
    {
        let router = Router()
        @Sendable func limit(_ request: Request) -> Int {
            min(max(request.uri.queryParameters.get("limit", as: Int.self) ?? 100, 1), 1_000)
        }
        @Sendable func query(_ request: Request) -> String? {
            request.uri.queryParameters.get("q").map { String($0) }.flatMap { $0.isEmpty ? nil : $0 }
        }
        /// Runs a read, answering a refused search 400 and any other failure 500, as HTML or JSON.
        @Sendable func answer(html: Bool, _ body: () async throws -> Response) async -> Response {
            do {
                return try await body()
            } catch let refusal as SearchRefusal {
                return html
                    ? JSONResponses.html(pages.problem("查询有误 · Check the query", refusal.message), status: .badRequest)
                    : JSONResponses.failure(ReplyError(.invalid, refusal.message))
            } catch {
                logger.error("Portal read failed", metadata: ["error": "\(error)"])
                return html
                    ? JSONResponses.html(
                        pages.problem("暂时无法查询 · Try again shortly", "The portal could not read its data."), status: .internalServerError)
                    : JSONResponses.failure(ReplyError(.internal, "the portal could not read its data"))
            }
        }

        // Search and subjects.
        router.get("/") { request, _ -> Response in
            guard let text = query(request) else { return JSONResponses.html(pages.search(query: nil, rows: nil, error: nil)) }
            do {
                return JSONResponses.html(
                    pages.search(query: text, rows: try await queries.searchRows(matching: text, pages: pages), error: nil))
            } catch let refusal as SearchRefusal {
                return JSONResponses.html(pages.search(query: text, rows: nil, error: refusal.message), status: .badRequest)
            } catch {
                return await answer(html: true) { throw error }
            }
        }
        router.get("/api/v1/subjects") { request, _ -> Response in
            await answer(html: false) { JSONResponses.ok(try await queries.subjects(matching: query(request) ?? "")) }
        }
        router.get("/subjects/{key}") { _, context -> Response in
            let key = context.parameters.get("key") ?? ""
            return await answer(html: true) {
                if let page = try await stored.page(key, json: false) {
                    return JSONResponses.file(page, contentType: "text/html; charset=utf-8")
                }
                guard let page = try await queries.page(key) else {
                    return JSONResponses.html(
                        pages.problem(
                            "没有这个主体 · No such subject", "没有公开信息 · The portal holds nothing public for this subject; search by name or code."
                        ),
                        status: .notFound)
                }
                return JSONResponses.html(pages.subject(page))
            }
        }
        router.get("/api/v1/subjects/{key}") { _, context -> Response in
            let key = context.parameters.get("key") ?? ""
            return await answer(html: false) {
                if let page = try await stored.page(key, json: true) {
                    return JSONResponses.file(page, contentType: "application/json")
                }
                guard let page = try await queries.page(key) else {
                    return JSONResponses.failure(
                        ReplyError(.notFound, "no public information for subject \(key); search with /api/v1/subjects?q="))
                }
                return JSONResponses.ok(page)
            }
        }

        // Lists and records.
        for (path, list, title) in [("blacklist", "black", "失信联合惩戒对象名单 · Black list"), ("redlist", "red", "守信联合激励对象名单 · Red list")] {
            router.get(RouterPath("/api/v1/\(path)")) { request, _ -> Response in
                await answer(html: false) {
                    JSONResponses.ok(try await queries.listings(list: list, matching: query(request), limit: limit(request)))
                }
            }
            router.get(RouterPath("/\(path)")) { request, _ -> Response in
                do {
                    let listings = try await queries.listings(list: list, matching: query(request), limit: limit(request))
                    return JSONResponses.html(
                        pages.list(title: title, path: "/\(path)", query: query(request), listings: listings, error: nil))
                } catch let refusal as SearchRefusal {
                    return JSONResponses.html(
                        pages.list(title: title, path: "/\(path)", query: query(request), listings: [], error: refusal.message),
                        status: .badRequest)
                } catch {
                    return await answer(html: true) { throw error }
                }
            }
        }
        let recordPages: [(String, RecordKind, String, String)] = [
            ("licences", .licence, "行政许可 · Administrative licences", "有效期至 Valid until"),
            ("penalties", .penalty, "行政处罚 · Administrative penalties", "公示截止 Public until"),
            ("commitments", .commitment, "信用承诺 · Credit commitments", "公示截止 Public until"),
        ]
        for (path, kind, title, endLabel) in recordPages {
            router.get(RouterPath("/api/v1/\(path)")) { request, _ -> Response in
                await answer(html: false) {
                    JSONResponses.ok(try await queries.records(kind: kind, matching: query(request), limit: limit(request)))
                }
            }
            router.get(RouterPath("/\(path)")) { request, _ -> Response in
                do {
                    let records = try await queries.records(kind: kind, matching: query(request), limit: limit(request))
                    return JSONResponses.html(
                        pages.records(
                            title: title, path: "/\(path)", endLabel: endLabel, query: query(request), records: records, error: nil))
                } catch let refusal as SearchRefusal {
                    return JSONResponses.html(
                        pages.records(
                            title: title, path: "/\(path)", endLabel: endLabel, query: query(request), records: [], error: refusal.message),
                        status: .badRequest)
                } catch {
                    return await answer(html: true) { throw error }
                }
            }
        }
        router.get("/statistics") { _, _ -> Response in
            await answer(html: true) { JSONResponses.html(pages.statistics(try await queries.statistics())) }
        }
        router.get("/api/v1/statistics") { _, _ -> Response in
            await answer(html: false) { JSONResponses.ok(try await queries.statistics()) }
        }
        router.get("/healthz") { _, _ -> Response in JSONResponses.ok(["status": "ok"]) }

        // Objection and repair forms: received for the credit office, which checks the sender and files them.
        for kind in ["objection", "repair"] {
            router.get(RouterPath("/\(kind)s/new")) { request, _ -> Response in
                let target = request.uri.queryParameters.get("target").map { String($0) } ?? ""
                return await answer(html: true) {
                    guard let (label, _) = try await queries.target(target) else {
                        return JSONResponses.html(
                            pages.problem("没有这条公开信息 · Not public", "No public record or listing \(target): start from the subject's page."),
                            status: .notFound)
                    }
                    return JSONResponses.html(pages.form(kind, target: target, targetLabel: label))
                }
            }
            router.post(RouterPath("/\(kind)s")) { request, _ -> Response in
                let body = try await request.body.collect(upTo: 64 << 10)
                guard let posted = try? URLEncodedFormDecoder().decode(PostedForm.self, from: String(buffer: body)) else {
                    return JSONResponses.html(
                        pages.problem("表单有误 · Form not readable", "Send the form from the portal's page."), status: .badRequest)
                }
                return await answer(html: true) {
                    guard let (label, key) = try await queries.target(posted.target) else {
                        return JSONResponses.html(
                            pages.problem("没有这条公开信息 · Not public", "No public record or listing \(posted.target)."), status: .notFound)
                    }
                    let values = ["applicant": posted.applicant ?? "", "contact": posted.contact ?? "", "text": posted.text ?? ""]
                    do {
                        let submission = try await intake(
                            IntakeForm(
                                kind: kind, target: posted.target, code: posted.code ?? "", applicant: values["applicant"]!,
                                contact: values["contact"]!, text: values["text"]!))
                        return JSONResponses.html(pages.receipt(submission, subjectKey: key))
                    } catch BusClientError.refused(let error) where error.code == .invalid {
                        return JSONResponses.html(
                            pages.form(kind, target: posted.target, targetLabel: label, values: values, error: error.message),
                            status: .badRequest)
                    } catch {
                        logger.warning("Portal form not handed to repair", metadata: ["error": "\(error)"])
                        return JSONResponses.html(
                            pages.form(
                                kind, target: posted.target, targetLabel: label, values: values,
                                error: "暂时无法提交，请稍后再试 · The form cannot be submitted now; try again shortly."),
                            status: .serviceUnavailable)
                    }
                }
            }
        }

        // Credit reports: issued on demand, signed, verifiable by number and code, or offline.
        router.get("/reports/public-key") { _, _ -> Response in
            JSONResponses.ok(["algorithm": "Ed25519", "publicKey": reports.publicKey])
        }
        router.get("/reports/{name}") { _, context -> Response in
            let name = context.parameters.get("name") ?? ""
            return await answer(html: !name.hasSuffix(".json")) {
                if name.hasSuffix(".json") {
                    // A signed file of an issued report: number and code are on the report.
                    let number = String(name.dropLast(".json".count))
                    guard let document = try await reports.stored(number) else {
                        return JSONResponses.failure(ReplyError(.notFound, "no report \(number)"))
                    }
                    return JSONResponses.ok(document)
                }
                let isPDF = name.hasSuffix(".pdf")
                guard let page = try await queries.page(isPDF ? String(name.dropLast(".pdf".count)) : name) else {
                    return JSONResponses.html(
                        pages.problem(
                            "没有这个主体 · No such subject", "没有公开信息 · The portal holds nothing public for this subject; search by name or code."
                        ),
                        status: .notFound)
                }
                let (report, signed) = try await reports.issue(page)
                let html = pages.report(report, code: signed.verificationCode)
                guard isPDF else { return JSONResponses.html(html) }
                do {
                    return JSONResponses.file(Array(try await pdf.render(html)), contentType: "application/pdf")
                } catch {
                    logger.warning("Report PDF failed", metadata: ["report.number": "\(report.number)", "error": "\(error)"])
                    return JSONResponses.html(
                        pages.problem(
                            "PDF 暂不可用 · PDF not available",
                            "The PDF could not be made (\(error)); the HTML report \(report.number) was issued and is at /reports/\(page.subject.key)."
                        ),
                        status: .serviceUnavailable)
                }
            }
        }
        router.get("/verify/{number}") { request, context -> Response in
            let number = context.parameters.get("number") ?? ""
            let code = request.uri.queryParameters.get("code").map { String($0) } ?? ""
            return await answer(html: true) {
                let report = try await reports.lookup(number, code: code).flatMap { $0.verified(with: reports.publicKey) }
                return JSONResponses.html(pages.verify(number: number, report: report), status: report == nil ? .notFound : .ok)
            }
        }

        // The notice is personal: shown only to whoever gives its notice code (printed on the notice the
        // subject receives). A wrong code and an unknown listing get the same answer.
        router.get("/notices/{listing}") { request, context -> Response in
            let listing = context.parameters.get("listing") ?? ""
            guard let code = request.uri.queryParameters.get("code").map({ String($0) }), !code.isEmpty else {
                return JSONResponses.html(pages.noticeForm(listing: listing, message: nil))
            }
            do {
                return JSONResponses.html(pages.notice(try await notices(listing, code)))
            } catch BusClientError.refused(let error) where error.code == .notFound {
                return JSONResponses.html(
                    pages.noticeForm(listing: listing, message: "没有与该编号和查询码相符的告知书 · No notice matches this listing and code."),
                    status: .notFound)
            } catch {
                return JSONResponses.html(
                    pages.noticeForm(listing: listing, message: "告知书暂时无法取得，请稍后再试 · The notice cannot be fetched now; try again shortly."),
                    status: .serviceUnavailable)
            }
        }
        return router
    }
}

/// Assembles disclosure. Config keys: `disclosure.pub`, `disclosure.router`, `disclosure.http`
/// (default 127.0.0.1:8080: the portal, and `/metrics`), `disclosure.recordKinds`, `disclosure.lists`,
/// `disclosure.deadlineWorkingDays`, `disclosure.commitmentDeadlineWorkingDays`, `publicity.*`, `names.*`,
/// the calendar (`dispatch.calendar`), and the endpoints of `registry`, `dispatch`, `repair` (for marks)
/// and `grading` (inspection draws, `InspectionDisclosure`).
public enum DisclosureService {
    public static func make(topology: Topology, logger: Logger) throws -> [any Service] {
        let database = try ServiceDatabase.open(path: try topology.databasePath(for: "disclosure")) {
            DisclosureSchema.register(in: &$0)
            InspectionDisclosure.register(in: &$0)
        }
        let keys = try database.read { try SubjectKeys.load(from: $0) }
        let policy = try policy(topology.config)
        let log = EventLog(stream: CentralService.disclosure.rawValue)
        let security = try topology.serviceSecurity(as: CentralService.disclosure.rawValue, logger: logger)
        let endpoints = try topology.endpoints(of: .disclosure)
        let registry = try topology.endpoints(of: .registry)
        let dispatch = try topology.endpoints(of: .dispatch)
        let repair = try topology.endpoints(of: .repair)
        let http = try topology.disclosureHTTP()
        var queries = DisclosureQueries(reader: database, keys: keys, policy: policy, today: { FieldDates.isoDate(Date()) })
        queries.delivered = { kinds in
            guard let client = try? security.busClient(toward: registry) else { return nil }
            defer { client.close() }
            return try? await client.request(
                "records.count", body: ["kinds": kinds], decoding: [String: [String: Int]].self, timeout: .seconds(5))
        }
        let reports = try ReportDesk(
            writer: database, issuer: topology.config.string("disclosure.issuer", default: "信用信息公示平台 Credit disclosure portal"))
        let notices: DisclosureRoutes.NoticeSource = { listing, code in
            let client = try security.busClient(toward: dispatch)
            defer { client.close() }
            // A credit reminder or warning-interview notice issued by a measure rule (N-…) is read the same way.
            if listing.uppercased().hasPrefix("N-") {
                let reminder = try await client.request(
                    "reminder.get", body: .object(["reminder": .string(listing.uppercased()), "code": .string(code)]),
                    timeout: .seconds(5))
                return .object([
                    "listing": .object(["id": reminder["id"] ?? .null]), "text": reminder["text"] ?? .null, "measures": .array([]),
                    "catalogueVersion": .string("rules \(reminder["rule"]?["version"]?.textValue ?? "?")"),
                ])
            }
            return try await client.request(
                "notice.get", body: .object(["listing": .string(listing), "code": .string(code)]), timeout: .seconds(5))
        }
        let intake: DisclosureRoutes.IntakeSink = { form in
            let client = try security.busClient(toward: repair)
            defer { client.close() }
            return try await client.request("intake.submit", body: try JSONValue(encoding: form), timeout: .seconds(5))
        }
        // The public reads disclosure over HTTP; on the bus it answers the common ops and the 双公示
        // timeliness for creditctl compliance.
        struct Handler: RequestHandler {
            let queries: DisclosureQueries
            let reports: ReportDesk
            var commands: CommandTable {
                struct Empty: Decodable, Sendable {}
                var commands = CommandTable(service: "disclosure")
                commands.on("publication.stats", access: .anyone, audit: .query, body: Empty.self) { _, _ in
                    try await queries.statistics()
                }
                commands.on("publication.assessment", access: .anyone, audit: .query, body: AssessmentQuery.self) { query, _ in
                    try await queries.publicationWork(in: query.period(today: queries.today(), op: "publication.assessment"))
                }
                commands.on("report.key", access: .anyone, audit: .query, body: Empty.self) { _, _ -> JSONValue in
                    .object(["algorithm": "Ed25519", "publicKey": .string(reports.publicKey)])
                }
                return commands
            }
        }
        let metrics = ServiceMetrics(service: log.stream)
        func follow(_ stream: String, _ toward: BusEndpoints, _ applier: some StreamApplier) throws -> StreamSubscriber {
            StreamSubscriber(
                stream: stream, options: try security.subscriber(toward: toward),
                sink: DatabaseStreamSink(stream: stream, writer: database, applier: applier, logger: logger), metrics: metrics,
                logger: logger)
        }
        let pages = try PortalPage()
        let stored = StoredPages(writer: database, policy: policy, pages: pages, today: queries.today, logger: logger)
        try stored.prepare()
        let router = InspectionDisclosure.addRoutes(
            to: DisclosureRoutes.router(
                queries: queries, pages: pages, stored: stored, reports: reports,
                pdf: ReportPDF.find(configured: topology.config.optionalString("disclosure.chromium")), notices: notices,
                intake: intake, logger: logger),
            reader: database)
        router.addMetrics(metrics)
        let dirty = metrics.gauge(.portalPagesDirty)
        metrics.onScrape { if let count = try? await stored.dirtyCount() { dirty.record(count) } }
        return [
            BusServer(
                service: "disclosure", options: security.secure(try topology.serverOptions(section: "disclosure", endpoints: endpoints)),
                log: log, reader: database, handler: Handler(queries: queries, reports: reports), metrics: metrics, logger: logger),
            try follow("registry", registry, RecordDisclosureApplier(keys: keys, policy: policy)),
            try follow("dispatch", dispatch, ListingDisclosureApplier(keys: keys, policy: policy)),
            try follow("repair", repair, MarkApplier()),
            try follow("grading", try topology.endpoints(of: .grading), InspectionDisclosureApplier()),
            PageRefresher(pages: stored, logger: logger),
            HTTPListener(
                key: "disclosure.http", host: http.host, port: http.port, router: router, serverName: "disclosure", logger: logger),
        ]
    }

    /// `disclosure.*`, `publicity.*`, `names.*` and the calendar, each checked; a bad value stops
    /// start-up naming the key.
    public static func policy(_ config: SuiteConfig) throws -> DisclosurePolicy {
        let (calendar, _) = try config.file("dispatch.calendar", default: "config/calendar.yaml", load: WorkingCalendar.load(contentsOf:))
        func items<T>(_ key: String, default fallback: String, _ make: (String) -> T?, expected: String) throws -> Set<T> {
            var result: Set<T> = []
            for name in config.string(key, default: fallback).split(separator: ",") {
                let text = name.trimmingCharacters(in: .whitespaces)
                guard let item = make(text) else {
                    throw ConfigError(
                        key: key, source: config.lookup(key)?.source ?? "config", reason: "\"\(text)\" is not one of \(expected)")
                }
                result.insert(item)
            }
            return result
        }
        let kinds = try items(
            "disclosure.recordKinds", default: "licence,penalty,commitment", RecordKind.init(rawValue:),
            expected: RecordKind.allCases.map(\.rawValue).joined(separator: ", "))
        let lists = try items("disclosure.lists", default: "black,red", ListType.init(rawValue:), expected: "black, key-attention, red")
        let names = try config.section("names", default: [String: String]()) { values, _ in
            Dictionary(uniqueKeysWithValues: values.map { (String($0.key.dropFirst("names.".count)), $0.value) })
        }
        return DisclosurePolicy(
            recordKinds: kinds, lists: lists,
            publicity: try config.section("publicity", default: PublicityRules(), parse: PublicityRules.parse), calendar: calendar,
            deadlineWorkingDays: try config.int("disclosure.deadlineWorkingDays", default: 7, range: 1...60),
            commitmentDeadlineWorkingDays: try config.int("disclosure.commitmentDeadlineWorkingDays", default: 3, range: 1...60),
            names: names)
    }
}
