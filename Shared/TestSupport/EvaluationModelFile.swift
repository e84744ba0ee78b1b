import CreditDomain
import Foundation

extension BuiltProducts {
    /// The evaluation model the repository ships (`config/evaluation-model.yaml`).
    public static func evaluationModel() throws -> EvaluationModel {
        try EvaluationModelLoader.load(contentsOf: packageRoot.appendingPathComponent("config/evaluation-model.yaml"))
    }
}
