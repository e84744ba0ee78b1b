import Foundation

/// One administrative penalty (行政处罚) in the national double-publicity (双公示) field codes, as a CSV row or
/// JSON object, turned into a `CreditRecord` of kind `.penalty`. Penalties are published within 7 working
/// days of the decision (Shaanxi Plan 三(四)3, Otog Front Banner Plan 四(一)), so every department exports
/// these fields.
///
/// Field codes may come in upper or lower case (they are upper-cased); empty values count as absent.
///
/// | field | meaning | record |
/// |---|---|---|
/// | `CF_WSH` (required) | decision document number (决定书文号) | `documentNumber` |
/// | `CF_XDR_MC` (required) | subject name (行政相对人名称) | `subjectName` |
/// | `CF_XDR_LB` | subject category: 法人及非法人组织 / 自然人 / 个体工商户 | `subjectKind` |
/// | `CF_XDR_SHXYM` | unified social credit code | `subjectID` (preferred) |
/// | `CF_XDR_ZJHM` or `CF_ZJHM` | certificate number of a natural person | `subjectID` when no code |
/// | `CF_FRDB`, `CF_FR_ZJHM` | legal representative's name and resident ID | `relatedPersons` |
/// | `CF_CFLB` | penalty categories, joined by `;` `；` `,` `，` `、` | `severity` |
/// | `CF_NR` (or `CF_WFXW`) | content (or the illegal act) | `summary` |
/// | `CF_NR_FK` | fine in 万元, a decimal ≥ 0 | `fineAmount`, `severity` |
/// | `CF_YJ` | legal basis (处罚依据) | `legalBasis` |
/// | `CF_JDRQ` (required) | decision date | `decisionDate` |
/// | `CF_YXQ`, `CF_GSJZQ` | valid until, publicity end | `validUntil`, `publicityEnd` |
/// | `CF_CFJG` (required) | deciding authority (处罚机关) | `authority` |
/// | `CF_NR_WFFF`, `CF_WFSS`, `CF_CFJGDM`, `CF_SJLY`, `CF_SJLYDM`, `CF_BZ` | | `sourceFields` only |
/// | `CF_XDR_ZJLX`, `CF_XDR_GSZC`, `CF_XDR_ZZJG`, `CF_FR_ZJLX`, … | see `DoublePublicityFields` | certificate type, `subjectAliases` |
///
/// One of `CF_XDR_SHXYM` and the certificate number is required. Severity follows `SeverityRules`
/// unless the row states one (`SEVERITY`).
public enum PenaltyRow {
    /// Builds the record for one row with the standard severity rules.
    ///
    /// - Throws: `DomainError` naming the field code (upper case) that is missing or invalid.
    public static func record(from fields: [String: String]) throws(DomainError) -> CreditRecord {
        try record(from: fields, rules: .standard)
    }

    /// Builds the record for one row, grading severity with `rules` unless the row states one.
    public static func record(from fields: [String: String], rules: SeverityRules) throws(DomainError) -> CreditRecord {
        let row = DoublePublicityFields(fields, prefix: "CF")
        let documentNumber = try row.required("WSH")
        let name = try row.required("XDR_MC")
        let authority = try row.required("CFJG")
        guard let decisionDate = try row.date("JDRQ") else { throw .missing(field: "CF_JDRQ") }
        let (subject, subjectKind) = try row.subject()
        let related = try row.relatedPersons()
        let aliases = try row.aliases()

        let categories = row["CFLB"].map(SeverityRules.categories) ?? []
        let fine = try row["NR_FK"].map(fine)
        let validUntil = try row.date("YXQ")
        if let validUntil, validUntil < decisionDate {
            throw .invalid(field: "CF_YXQ", value: validUntil, reason: "is before the decision date \(decisionDate)")
        }
        let publicityEnd = try row.date("GSJZQ")
        let severity = try row.statedSeverity() ?? rules.severity(categories: categories, fine: fine)

        return CreditRecord(
            kind: .penalty, subjectID: subject.value, subjectScheme: subject.scheme, subjectKind: subjectKind,
            subjectName: name, relatedPersons: related, documentNumber: documentNumber, authority: authority,
            legalBasis: row["YJ"], summary: row["NR"] ?? row["WFXW"] ?? row["CFLB"] ?? "行政处罚",
            decisionDate: decisionDate, validUntil: validUntil, publicityEnd: publicityEnd,
            severity: severity, fineAmount: fine, sourceFields: row.sourceFields, category: row["CFLB"],
            subjectAliases: aliases)
    }

    // MARK: - Fields

    /// `CF_NR_FK`: 万元 as a decimal ≥ 0; a trailing 万元 or 万 is tolerated.
    static func fine(_ text: String) throws(DomainError) -> Double {
        var number = FastText.replacing(",", with: "", in: text)
        for suffix in ["万元", "万"] where number.hasSuffix(suffix) {
            number = FastText.trimmed(String(number.dropLast(suffix.count)))
        }
        guard let value = Double(number), value.isFinite, value >= 0 else {
            throw .invalid(field: "CF_NR_FK", value: text, reason: "must be a fine in 万元, a decimal number ≥ 0")
        }
        return value
    }
}
