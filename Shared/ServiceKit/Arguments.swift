extension Array where Element == String {
    /// The value of `--config FILE` (or `--config=FILE`) on a service's command line.
    public var configFileArgument: String? {
        for (index, argument) in enumerated() {
            if argument == "--config", index + 1 < count { return self[index + 1] }
            if argument.hasPrefix("--config=") { return String(argument.dropFirst("--config=".count)) }
        }
        return nil
    }

    /// The value of `--NAME VALUE` or `--NAME=VALUE`.
    public func optionValue(_ name: String) -> String? {
        for (index, argument) in enumerated() {
            if argument == "--\(name)", index + 1 < count { return self[index + 1] }
            if argument.hasPrefix("--\(name)=") { return String(argument.dropFirst(name.count + 3)) }
        }
        return nil
    }
}
