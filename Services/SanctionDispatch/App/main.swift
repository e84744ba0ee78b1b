import DispatchCore
import ServiceKit

// sanction-dispatch: lists, the measure catalogue, feedback. Config keys: see DispatchService.
await ServiceMain.main(service: "sanction-dispatch") { try DispatchService.make(topology: $0, logger: $1) }
