import MeshProtocol

/// The credit office's quarterly and annual assessment of departments (考核: 跟踪、监测、统计、评估):
/// what each did in a period, gathered by sanction-dispatch from itself, the portal and grading.
public struct AssessmentReport: Codable, Sendable, Equatable {
    public var period: AssessmentPeriod
    public var generatedAt: String
    public var ackDeadlineSeconds: Int
    public var departments: [DepartmentAssessment]
    /// The parts that could not be gathered (a service that did not answer), by name and reason; the
    /// rows leave those parts out (null) rather than show zeros.
    public var unavailable: [String: String]

    public init(
        period: AssessmentPeriod, generatedAt: String, ackDeadlineSeconds: Int, departments: [DepartmentAssessment],
        unavailable: [String: String]
    ) {
        self.period = period
        self.generatedAt = generatedAt
        self.ackDeadlineSeconds = ackDeadlineSeconds
        self.departments = departments
        self.unavailable = unavailable
    }
}

/// One department's work in a period.
public struct DepartmentAssessment: Codable, Sendable, Equatable {
    public var department: String
    /// 响应: pushes to it in the period and its acknowledgements; nil for a department dispatch does not push to.
    public var acknowledgement: AcknowledgementWork?
    /// 反馈: the checks it fed back in the period, by decision.
    public var feedback: [String: Int]
    /// 双公示: its licences, penalties and commitments decided in the period and how many were public in time.
    public var publication: PublicationWork?
    /// Objections and repair applications it decided in the period, and how many within their deadline.
    public var objections: CaseWork
    public var repairs: CaseWork
    /// 双随机: its draws in the period and the results entered for them.
    public var inspections: InspectionWork?

    public init(
        department: String, acknowledgement: AcknowledgementWork? = nil, feedback: [String: Int] = [:],
        publication: PublicationWork? = nil, objections: CaseWork = CaseWork(), repairs: CaseWork = CaseWork(),
        inspections: InspectionWork? = nil
    ) {
        self.department = department
        self.acknowledgement = acknowledgement
        self.feedback = feedback
        self.publication = publication
        self.objections = objections
        self.repairs = repairs
        self.inspections = inspections
    }
}

public struct AcknowledgementWork: Codable, Sendable, Equatable {
    /// Listings that took effect and lifts, pushed in the period.
    public var pushes: Int
    /// Acknowledged by now, each by its own acknowledgement or by a snapshot loaded later.
    public var acknowledged: Int
    /// Acknowledged within the acknowledgement deadline: by their own acknowledgement, or by the first
    /// snapshot covering them that the department loaded.
    public var inTime: Int
    public var latencyP50Seconds: Double?
    public var latencyMaxSeconds: Double?

    public init(pushes: Int, acknowledged: Int, inTime: Int, latencyP50Seconds: Double?, latencyMaxSeconds: Double?) {
        self.pushes = pushes
        self.acknowledged = acknowledged
        self.inTime = inTime
        self.latencyP50Seconds = latencyP50Seconds
        self.latencyMaxSeconds = latencyMaxSeconds
    }
}

public struct PublicationWork: Codable, Sendable, Equatable {
    public var department: String
    public var published: Int
    public var onTime: Int

    public init(department: String, published: Int, onTime: Int) {
        self.department = department
        self.published = published
        self.onTime = onTime
    }
}

/// Cases with working-day deadlines (objections, repair applications) a department decides.
public struct CaseWork: Codable, Sendable, Equatable {
    /// Decided in the period, and of those by their deadline.
    public var decided: Int
    public var decidedOnTime: Int
    /// Due in the period, past their deadline and still not decided.
    public var overdueOpen: Int

    public init(decided: Int = 0, decidedOnTime: Int = 0, overdueOpen: Int = 0) {
        self.decided = decided
        self.decidedOnTime = decidedOnTime
        self.overdueOpen = overdueOpen
    }
}

public struct InspectionWork: Codable, Sendable, Equatable {
    public var department: String
    /// Draws of its plans made in the period, and the subjects they selected.
    public var draws: Int
    public var selected: Int
    /// Results entered for those subjects, and how many found problems.
    public var results: Int
    public var problemsFound: Int

    public init(department: String, draws: Int, selected: Int, results: Int, problemsFound: Int) {
        self.department = department
        self.draws = draws
        self.selected = selected
        self.results = results
        self.problemsFound = problemsFound
    }
}

/// The body of the assessment ops: `{"period": "2026Q4"}` (a year or a quarter); none: the quarter under way.
public struct AssessmentQuery: Codable, Sendable {
    public var period: String?

    public init(period: String?) { self.period = period }
}

extension AssessmentQuery {
    /// The period asked for, or the quarter under way on `today`; a period that does not parse is
    /// refused naming `op` and the shapes accepted.
    public func period(today: String, op: String) throws -> AssessmentPeriod {
        guard let text = period?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
            return .quarter(containing: today)
        }
        do {
            return try AssessmentPeriod(parsing: text)
        } catch {
            throw ReplyError(.invalid, "\(op): \(error.description)")
        }
    }
}
