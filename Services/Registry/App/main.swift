import RegistryCore
import ServiceKit

// registry: the credit archive. Config keys: see RegistryService and docs/CONFIG.md.
await ServiceMain.main(service: "registry") { try RegistryService.make(topology: $0, logger: $1) }
