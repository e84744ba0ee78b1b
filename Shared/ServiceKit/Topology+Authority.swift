import CreditDomain

extension Topology {
    /// The authority table (`authority.<dept>.records|lists|approves` in the config file), or
    /// `AuthorityRules.standard` when the file has no `authority` section. Environment variables
    /// can override a department's existing entry (`CREDIT_AUTHORITY_MARKET_LISTS`).
    public func authority() throws(ConfigError) -> AuthorityRules {
        let keys = config.fileValues.keys.filter { $0.hasPrefix("authority.") }
        guard !keys.isEmpty else { return .standard }
        var values: [String: String] = [:]
        for key in keys { values[key] = config.lookup(key)?.value }
        do {
            return try AuthorityRules.parse(values, source: config.file ?? "config")
        } catch {
            throw ConfigError(key: "authority", source: config.file ?? "config", reason: "\(error)")
        }
    }
}
