import GradingCore
import ServiceKit

// grading: scores, grades and supervision classes. Config keys: see GradingService.
await ServiceMain.main(service: "grading") { try GradingService.make(topology: $0, logger: $1) }
