import DisclosureCore
import ServiceKit

// disclosure: the public portal. Config keys: see DisclosureService.
await ServiceMain.main(service: "disclosure") { try DisclosureService.make(topology: $0, logger: $1) }
