import Foundation
import TestSupport

/// The demo's food businesses and inspection plans, as the integration tests use them.
enum DemoData {
    /// grading's environment naming the demo's inspection plans.
    static var inspectionPlans: [String: String] {
        ["CREDIT_GRADING_INSPECTION_PLANS": BuiltProducts.packageRoot.appendingPathComponent("demo/inspection-plans.yaml").path]
    }

    /// Imports demo/food-businesses.json (30 licences, 7 penalties) as market once the registry
    /// answers; whether all 37 rows were stored, and what creditctl printed.
    static func importFoodBusinesses(_ layout: TestSuiteLayout) async throws -> (stored: Bool, output: String) {
        let food = BuiltProducts.packageRoot.appendingPathComponent("demo/food-businesses.json").path
        var imported: CommandResult?
        let stored = try await eventually {
            imported = try await Commands.run("creditctl", ["import", "--as", "market", "--format", "native", food], layout: layout)
            return imported?.stdout.contains("37 rows read, 37 stored") == true
        }
        return (stored, "\(imported?.stdout ?? "")\(imported?.stderr ?? "")")
    }
}
