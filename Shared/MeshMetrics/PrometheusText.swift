/// One line of a Prometheus text exposition: `name{label="value",…} value`.
public struct MetricSample: Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var labels: [String: String]
    public var value: Double

    public init(name: String, labels: [String: String], value: Double) {
        self.name = name
        self.labels = labels
        self.value = value
    }

    public var description: String {
        let text = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ",")
        return labels.isEmpty ? "\(name) \(value)" : "\(name){\(text)} \(value)"
    }
}

/// Reads the Prometheus text format (0.0.4): what `status` reads back from its own registry, and
/// what tests read from a scraped `/metrics`.
public enum PrometheusText {
    /// Every sample line; comments (`# TYPE`, `# HELP`), blank lines and lines that do not parse are
    /// skipped. Label values are unescaped (`\\`, `\"`, `\n`); a timestamp after the value is ignored.
    public static func samples(in text: String) -> [MetricSample] {
        text.split(separator: "\n").compactMap { sample(in: Substring($0)) }
    }

    static func sample(in line: Substring) -> MetricSample? {
        let line = line.drop { $0 == " " }
        guard let first = line.first, first != "#" else { return nil }
        guard let nameEnd = line.firstIndex(where: { $0 == "{" || $0 == " " }) else { return nil }
        let name = String(line[..<nameEnd])
        var labels: [String: String] = [:]
        var rest = line[nameEnd...]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while let equals = rest.firstIndex(of: "=") {
                let key = String(rest[..<equals]).trimmingSpaces()
                rest = rest[rest.index(after: equals)...]
                guard rest.first == "\"" else { return nil }
                rest = rest.dropFirst()
                var value = ""
                var escaped = false
                var closed = false
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if escaped {
                        value.append(character == "n" ? "\n" : character)
                        escaped = false
                    } else if character == "\\" {
                        escaped = true
                    } else if character == "\"" {
                        closed = true
                        break
                    } else {
                        value.append(character)
                    }
                }
                guard closed else { return nil }
                labels[key] = value
                rest = rest.drop { $0 == "," || $0 == " " }
                if rest.first == "}" { break }
            }
            guard rest.first == "}" else { return nil }
            rest = rest.dropFirst()
        }
        guard let valueText = rest.split(separator: " ").first, let value = parseValue(valueText) else { return nil }
        return MetricSample(name: name, labels: labels, value: value)
    }

    static func parseValue(_ text: Substring) -> Double? {
        switch text {
        case "+Inf": .infinity
        case "-Inf": -.infinity
        case "NaN": .nan
        default: Double(text)
        }
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
