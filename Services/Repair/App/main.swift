import RepairCore
import ServiceKit

// repair: repair applications and their decisions. Config keys: see RepairService.
await ServiceMain.main(service: "repair") { try RepairService.make(topology: $0, logger: $1) }
