/// The business actions a department's interceptor answers for: those its own catalogue measures
/// name, those the generic (`*`) measures name, and those the department declares as unrestricted
/// (`interceptors.<dept>.actions`). An action outside them is refused, never allowed: a typo such as
/// `goverment-procurement` would otherwise be answered `allow` exactly like a real action that
/// nothing restricts, and the subject would escape the mandatory pre-check (逢办必查, Shaanxi Plan 二(三)).
public struct KnownActions: Sendable, Hashable {
    public let department: Department
    /// Every known action, sorted.
    public let all: [String]
    private let set: Set<String>

    public init(department: Department, catalogue: MeasureCatalogue, declared: Set<String> = []) {
        self.department = department
        let known = catalogue.actions(for: department).union(declared)
        self.set = known
        self.all = known.sorted()
    }

    public func contains(_ action: String) -> Bool { set.contains(action) }

    /// Why `action` is refused, naming the nearest known action when one is a likely typo and the
    /// department's known actions; nil when the action is known.
    public func refusal(of action: String, catalogueVersion: String) -> String? {
        guard !set.contains(action) else { return nil }
        let key = "interceptors.\(department.rawValue).actions"
        var reason = "action \"\(action)\" is unknown to \(department.rawValue)"
        if let nearest = nearest(to: action) { reason += " (did you mean \(nearest)?)" }
        reason += ": no measure of catalogue \(catalogueVersion) names it and \(key) does not declare it"
        reason += all.isEmpty ? "; \(department.rawValue) knows no action yet" : "; known actions: \(all.joined(separator: ", "))"
        return reason + ". Declare an action that no measure restricts under \(key)"
    }

    /// The known action within a small edit distance of `action` (a typo), if exactly one is nearest.
    func nearest(to action: String) -> String? {
        let limit = max(1, min(3, action.count / 4))
        var best: (distance: Int, actions: [String]) = (limit + 1, [])
        for known in all {
            let distance = Self.editDistance(action, known, limit: limit)
            if distance < best.distance {
                best = (distance, [known])
            } else if distance == best.distance {
                best.actions.append(known)
            }
        }
        return best.distance <= limit && best.actions.count == 1 ? best.actions[0] : nil
    }

    /// Levenshtein distance, or `limit + 1` when it exceeds `limit`.
    static func editDistance(_ a: String, _ b: String, limit: Int) -> Int {
        let a = Array(a.utf8), b = Array(b.utf8)
        guard abs(a.count - b.count) <= limit else { return limit + 1 }
        guard !a.isEmpty, !b.isEmpty else { return Swift.min(a.count + b.count, limit + 1) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return Swift.min(previous[b.count], limit + 1)
    }
}

extension MeasureCatalogue {
    /// The actions of a department's own measures and of the generic (`*`) ones.
    public func actions(for department: Department) -> Set<String> {
        var actions: Set<String> = []
        for measure in measures where measure.department == department || measure.isGeneric {
            actions.formUnion(measure.actions)
        }
        return actions
    }
}
