import Crypto

/// One subject of a draw's population: its code and its grade when the draw was made.
public struct DrawCandidate: Codable, Sendable, Hashable {
    public var subject: String
    public var grade: CreditGrade

    public init(subject: String, grade: CreditGrade) {
        self.subject = subject
        self.grade = grade
    }
}

/// A drawn subject and the inspectors sent to it, in the order they were drawn.
public struct DrawAssignment: Codable, Sendable, Equatable {
    public var subject: String
    public var grade: CreditGrade
    public var inspectors: [String]
    /// The subject's name as grading knows it (shown, not drawn on).
    public var subjectName: String?

    public init(subject: String, grade: CreditGrade, inspectors: [String], subjectName: String? = nil) {
        self.subject = subject
        self.grade = grade
        self.inspectors = inspectors
        self.subjectName = subjectName
    }
}

/// A stored and published draw: its inputs (the plan as it was, the seed source, the population), the
/// seed they give, and the result. Anyone holding it can draw again and compare (`InspectionDrawing.verify`).
public struct InspectionDraw: Codable, Sendable, Equatable {
    /// `I-000001`.
    public var id: String
    public var algorithm: String
    public var plan: InspectionPlan
    /// The value published before the draw (a lottery result, a published hash …), exactly as given.
    public var seedSource: String
    /// Sorted by subject code.
    public var population: [DrawCandidate]
    /// SHA-256 of the draw's input text, lower-case hex.
    public var seed: String
    public var selected: [DrawAssignment]
    public var drawnAt: String
    /// The department, or `operator` for the credit office.
    public var drawnBy: String
    /// The results entered so far, by subject (filled when read).
    public var results: [InspectionResult]?

    public init(
        id: String, plan: InspectionPlan, seedSource: String, population: [DrawCandidate], seed: String, selected: [DrawAssignment],
        drawnAt: String, drawnBy: String, results: [InspectionResult]? = nil
    ) {
        self.id = id
        self.algorithm = InspectionDrawing.algorithm
        self.plan = plan
        self.seedSource = seedSource
        self.population = population
        self.seed = seed
        self.selected = selected
        self.drawnAt = drawnAt
        self.drawnBy = drawnBy
        self.results = results
    }
}

/// The draw of "double random, one public" inspections (随机抽取检查对象，随机选派执法检查人员): reproducible
/// from its published inputs, so that anyone can check it. docs/PROTOCOL.md ("The inspection draw")
/// specifies it byte for byte; this is that specification's implementation.
///
/// 1. The **input text** lists the plan's parameters, the roster, the SHA-256 of the seed source and the
///    population, one line each (`inputText`); the **seed** is its SHA-256.
/// 2. The **stream** of random words: block *i* = SHA-256(seed ‖ *i* as 8 bytes big-endian), *i* = 0, 1, …;
///    each block gives four 64-bit big-endian words in order (`DrawStream`).
/// 3. **Selection**, grade by grade (A, B, C, D): of the *n* candidates of the grade (in code order),
///    *x* = *n* × ratio (basis points) × multiplier (percent); everyone when *x* ≥ *n* × 10⁶, else
///    ⌊*x* / 10⁶⌋ and one more when a uniform draw below 10⁶ falls under the remainder; then a partial
///    Fisher–Yates shuffle picks them. A subject of grade *g* is drawn with probability ratio × multiplier.
/// 4. **Pairing**, subject by subject in the order drawn: each of the team's places goes to an inspector
///    free of conflict with the subject and not yet in its team, among those with the fewest
///    assignments so far, chosen uniformly (in id order).
public enum InspectionDrawing {
    public static let algorithm = "credit-mesh inspection draw 1"

    /// The seed and the assignments a plan, seed source and population give.
    public static func draw(
        plan: InspectionPlan, seedSource: String, population: [DrawCandidate]
    ) throws(DomainError) -> (seed: String, selected: [DrawAssignment]) {
        let population = sorted(population)
        let seed = Array(SHA256.hash(data: Array(inputText(plan: plan, seedSource: seedSource, population: population).utf8)))
        var stream = DrawStream(seed: seed)
        let drawn = select(plan: plan, population: population, stream: &stream)
        let selected = try pair(drawn, plan: plan, stream: &stream)
        return (hex(seed), selected)
    }

    /// The text whose SHA-256 is the seed: every line ends with a line feed.
    public static func inputText(plan: InspectionPlan, seedSource: String, population: [DrawCandidate]) -> String {
        var lines = [
            algorithm, "plan \(plan.id)", "department \(plan.department)", "ratio \(plan.ratioBasisPoints)",
            "multipliers " + CreditGrade.allCases.map { "\(plan.multiplierPercent[$0])" }.joined(separator: " "),
            "team \(plan.team)",
            "conflicts " + list(plan.conflicts.map(\.rawValue).sorted()),
        ]
        for inspector in plan.inspectors.sorted(by: { precedes($0.id, $1.id) }) {
            lines.append("inspector \(inspector.id) \(inspector.region ?? "-") \(list(inspector.related.sorted(by: precedes)))")
        }
        lines.append("source " + digest(seedSource))
        for candidate in sorted(population) { lines.append("subject \(candidate.subject) \(candidate.grade.rawValue)") }
        return lines.map { $0 + "\n" }.joined()
    }

    // MARK: - Selection and pairing

    static func select(plan: InspectionPlan, population: [DrawCandidate], stream: inout DrawStream) -> [DrawCandidate] {
        var drawn: [DrawCandidate] = []
        for grade in CreditGrade.allCases {
            var group = population.filter { $0.grade == grade }
            let n = UInt64(group.count)
            guard n > 0 else { continue }
            let scale: UInt64 = 1_000_000
            let x = n * UInt64(plan.ratioBasisPoints) * UInt64(plan.multiplierPercent[grade])
            var k: UInt64
            if x >= n * scale {
                k = n
            } else {
                k = x / scale
                let remainder = x % scale
                if remainder > 0, stream.uniform(below: scale) < remainder { k += 1 }
            }
            for i in 0..<Int(k) {
                let j = i + Int(stream.uniform(below: n - UInt64(i)))
                group.swapAt(i, j)
            }
            drawn += group.prefix(Int(k))
        }
        return drawn
    }

    static func pair(_ drawn: [DrawCandidate], plan: InspectionPlan, stream: inout DrawStream) throws(DomainError) -> [DrawAssignment] {
        let roster = plan.inspectors.sorted { precedes($0.id, $1.id) }
        var load = [String: Int](uniqueKeysWithValues: roster.map { ($0.id, 0) })
        var assignments: [DrawAssignment] = []
        for candidate in drawn {
            let eligible = roster.filter { plan.conflict($0, candidate.subject) == nil }
            guard eligible.count >= plan.team else {
                let reasons = roster.compactMap { plan.conflict($0, candidate.subject) }
                throw .invalid(
                    field: "plans[\(plan.id)].inspectors", value: candidate.subject,
                    reason:
                        "subject \(candidate.subject) needs \(plan.team) inspectors free of conflict and has \(eligible.count) (\(reasons.joined(separator: "; "))); add inspectors to the roster of plan \(plan.id) or lower its team"
                )
            }
            var team: [String] = []
            for _ in 0..<plan.team {
                let open = eligible.filter { !team.contains($0.id) }
                let fewest = open.map { load[$0.id] ?? 0 }.min() ?? 0
                let pool = open.filter { load[$0.id] == fewest }
                let chosen = pool[Int(stream.uniform(below: UInt64(pool.count)))]
                team.append(chosen.id)
                load[chosen.id, default: 0] += 1
            }
            assignments.append(DrawAssignment(subject: candidate.subject, grade: candidate.grade, inspectors: team))
        }
        return assignments
    }

    // MARK: - Verification

    /// Draws again from a draw's published inputs; the differences, each named, or none when it matches.
    public static func verify(_ draw: InspectionDraw) -> [String] {
        var differences: [String] = []
        if draw.algorithm != algorithm {
            differences.append("algorithm: the draw names \"\(draw.algorithm)\"; this verifier implements \"\(algorithm)\"")
            return differences
        }
        if draw.population != sorted(draw.population) {
            differences.append("population: not in code order, or a subject appears twice")
        }
        let again: (seed: String, selected: [DrawAssignment])
        do {
            again = try Self.draw(plan: draw.plan, seedSource: draw.seedSource, population: draw.population)
        } catch {
            return differences + ["result: the published inputs give no draw: \(error.reason)"]
        }
        if again.seed != draw.seed {
            differences.append(
                "seed: the published inputs give \(again.seed), the draw says \(draw.seed): an input (plan, seed source or population) is not the one drawn with"
            )
        }
        let published = draw.selected.map { DrawAssignment(subject: $0.subject, grade: $0.grade, inspectors: $0.inspectors) }
        if published.count != again.selected.count {
            differences.append("selected: the inputs draw \(again.selected.count) subjects, the draw lists \(published.count)")
        }
        for (index, (expected, listed)) in zip(again.selected, published).enumerated() where expected != listed {
            differences.append(
                "selected[\(index)]: the inputs draw \(describe(expected)), the draw lists \(describe(listed))")
            break
        }
        return differences
    }

    static func describe(_ assignment: DrawAssignment) -> String {
        "\(assignment.subject) (\(assignment.grade.rawValue)) with \(assignment.inspectors.joined(separator: ", "))"
    }

    // MARK: - Helpers

    /// SHA-256 of a text's UTF-8 bytes, lower-case hex.
    public static func digest(_ text: String) -> String { hex(Array(SHA256.hash(data: Array(text.utf8)))) }

    /// Subject codes in byte order, each once.
    static func sorted(_ population: [DrawCandidate]) -> [DrawCandidate] {
        var seen: Set<String> = []
        return population.sorted { precedes($0.subject, $1.subject) }.filter { seen.insert($0.subject).inserted }
    }

    static func precedes(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

    static func list(_ items: [String]) -> String { items.isEmpty ? "-" : items.joined(separator: ",") }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// One line of a list of draws.
public struct InspectionDrawSummary: Codable, Sendable, Equatable {
    public var id: String
    public var plan: String
    public var title: String
    public var department: String
    public var seedSource: String
    public var seed: String
    public var drawnAt: String
    public var population: Int
    public var selected: Int
    public var results: Int

    public init(_ draw: InspectionDraw, results: Int) {
        id = draw.id
        plan = draw.plan.id
        title = draw.plan.title
        department = draw.plan.department
        seedSource = draw.seedSource
        seed = draw.seed
        drawnAt = draw.drawnAt
        population = draw.population.count
        selected = draw.selected.count
        self.results = results
    }
}

/// The draw's random words: SHA-256 in counter mode over the seed (docs/PROTOCOL.md).
struct DrawStream {
    let seed: [UInt8]
    private var counter: UInt64 = 0
    private var words: [UInt64] = []
    private var next = 0

    init(seed: [UInt8]) { self.seed = seed }

    /// The next 64-bit word: block i = SHA-256(seed ‖ i as 8 bytes big-endian) gives four words, big-endian.
    mutating func word() -> UInt64 {
        if next == words.count {
            var input = seed
            for shift in stride(from: 56, through: 0, by: -8) { input.append(UInt8(truncatingIfNeeded: counter >> UInt64(shift))) }
            let block = Array(SHA256.hash(data: input))
            words = (0..<4).map { index in block[(index * 8)..<(index * 8 + 8)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }
            counter += 1
            next = 0
        }
        defer { next += 1 }
        return words[next]
    }

    /// A uniform integer in 0..<n (n ≥ 1) without bias: words above the largest multiple of n that fits
    /// in 64 bits are skipped. Always reads at least one word.
    mutating func uniform(below n: UInt64) -> UInt64 {
        precondition(n > 0, "uniform(below: 0)")
        let skip = (UInt64.max % n + 1) % n  // 2^64 mod n
        while true {
            let w = word()
            if w <= UInt64.max - skip { return w % n }
        }
    }
}
