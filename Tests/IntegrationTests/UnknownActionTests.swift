import Foundation
import MeshProtocol
import TestSupport
import Testing

/// An action the department does not know — a typo of a restricted one — is refused by the real
/// interceptor over HTTP, ZeroMQ (`check`, `check.batch`) and creditctl, never answered `allow`;
/// an action the department declares as unrestricted is answered.
@Suite(.serialized)
struct UnknownActionTests {
    static let company = "91330500MA2D7E8F2D"

    @Test func theInterceptorRefusesAnUnknownActionOnEveryPath() async throws {
        let layout = try TestSuiteLayout(departments: ["finance"])
        defer { layout.remove() }
        let dispatch = try SuiteProcess("sanction-dispatch", layout: layout)
        defer { dispatch.stop() }
        let interceptor = try SuiteProcess(
            "interceptor", ["--dept", "finance"], name: "interceptor-finance", layout: layout,
            environment: ["CREDIT_INTERCEPTORS_FINANCE_ACTIONS": "issue-invoice"])
        defer { interceptor.stop() }
        func logs() -> String { [dispatch, interceptor].map { "== \($0.name)\n\($0.log.suffix(3_000))" }.joined(separator: "\n") }
        func ctl(_ arguments: String...) async throws -> CommandResult { try await Commands.run("creditctl", arguments, layout: layout) }
        let suite = SuiteClient(layout: layout)

        // A black listing the finance interceptor has received.
        let dispatchClient = try suite.client("dispatch", as: "market")
        defer { dispatchClient.close() }
        _ = try await suite.request(
            dispatchClient, "list.initiate", as: "market",
            body: .object([
                "list": "black", "subject": .string(Self.company), "basis": "《政府采购法》第二十二条", "document": "湖市监〔2026〕1号",
                "until": "2030-01-01",
            ])
        ).get()
        let blocked = try await eventually {
            let (body, status) = try await postRaw(
                layout.http("interceptors.finance.http") + "/v1/checks",
                #"{"subject":"\#(Self.company)","action":"government-procurement"}"#)
            return status == 200 && body.contains(#""decision":"block""#)
        }
        try #require(blocked, "finance never blocked\n\(logs())")

        // HTTP: 400 with the error body, naming the likely action.
        let (body, status) = try await postRaw(
            layout.http("interceptors.finance.http") + "/v1/checks", #"{"subject":"\#(Self.company)","action":"goverment-procurement"}"#)
        #expect(status == 400, "\(body)")
        #expect(
            body.hasPrefix(#"{"error":{"code":"invalid","message":"check: action \"goverment-procurement\" is unknown to finance"#),
            "\(body)")
        #expect(body.contains("did you mean government-procurement?") && body.contains("interceptors.finance.actions"), "\(body)")

        // ZeroMQ check: an invalid refusal. check.batch: only the unknown item is refused.
        let client = try suite.client("interceptors.finance")
        defer { client.close() }
        let refused = try await suite.request(
            client, "check", body: .object(["subject": .string(Self.company), "action": "goverment-procurement"]))
        guard case .failure(let error) = refused else {
            Issue.record("an unknown action was answered: \(refused)")
            return
        }
        #expect(error.code == .invalid && error.message.contains("is unknown to finance"), "\(error)")
        let batch = try await suite.request(
            client, "check.batch",
            body: .object([
                "checks": .array([
                    .object(["subject": .string(Self.company), "action": "government-procurement"]),
                    .object(["subject": .string(Self.company), "action": "goverment-procurement"]),
                    .object(["subject": .string(Self.company), "action": "issue-invoice"]),
                ])
            ])
        ).get()
        let answers = batch["answers"]?.arrayValue ?? []
        try #require(answers.count == 3, "\(batch)")
        #expect(answers[0]["decision"] == "block")
        #expect(answers[1]["error"]?["code"] == "invalid")
        #expect(answers[2]["decision"] == "allow", "a declared action nothing restricts is answered")

        // creditctl: the message, and a failing exit status.
        let typo = try await ctl("check", "--dept", "finance", "--subject", Self.company, "--action", "goverment-procurement")
        #expect(typo.status != 0)
        #expect(typo.stderr.contains("is unknown to finance"), "\(typo.stdout) \(typo.stderr)")
        let declared = try await ctl("check", "--dept", "finance", "--subject", Self.company, "--action", "issue-invoice", "--json")
        #expect(declared.status == 0 && declared.stdout.contains(#""decision":"allow""#), "\(declared.stdout) \(declared.stderr)")

        // The refused checks were not logged; the answered ones were.
        let (log, _) = try await getRaw(layout.http("interceptors.finance.http") + "/v1/checks?limit=1000")
        #expect(!log.contains("goverment-procurement") && log.contains("issue-invoice"), "\(log)")
        #expect(interceptor.isRunning && dispatch.isRunning)
    }
}
