/// One administrative licence (行政许可) in the national double-publicity (双公示) field codes, as a
/// CSV row or JSON object, turned into a `CreditRecord` of kind `.licence`. Licences are published
/// within 7 working days of the decision (Shaanxi Plan 三(四)3, Otog Front Banner Plan 四(一)).
///
/// Field codes may come in upper or lower case; empty values count as absent.
///
/// | field | meaning | record |
/// |---|---|---|
/// | `XK_WSH` (required) | licence decision document number (行政许可决定文书号) | `documentNumber` |
/// | `XK_XDR_MC` (required) | subject name | `subjectName` |
/// | `XK_XDR_SHXYM` / `XK_XDR_ZJLX` + `XK_XDR_ZJHM` | subject identifier (see `DoublePublicityFields`) | `subjectID` |
/// | `XK_XKJG` (required) | licensing authority (许可机关) | `authority` |
/// | `XK_JDRQ` (required) | decision date (许可决定日期) | `decisionDate` |
/// | `XK_YXQZ` | valid from (有效期自) | `validFrom` |
/// | `XK_YXQZI` | valid until (有效期至); not before the decision date or `XK_YXQZ` | `validUntil` |
/// | `XK_XKLB` | licence category (普通, 特许, 认可, 核准, 登记, 其他) | `category` |
/// | `XK_NR` (or `XK_XKZS`, `XK_XKWS`) | content (or certificate or document name) | `summary` |
/// | `XK_FRDB`, `XK_FR_ZJLX`, `XK_FR_ZJHM` | legal representative | `relatedPersons` |
/// | `XK_XDR_GSZC`, `XK_XDR_ZZJG`, `XK_XDR_SWDJ`, `XK_XDR_SYDW`, `XK_XDR_SHZZ` | legacy codes | `subjectAliases` |
/// | `XK_XKWS`, `XK_XKZS`, `XK_XKBH`, `XK_XKJGDM`, `XK_ZT`, `XK_LYDW`, `XK_LYDWDM`, `XK_BZ` | | `sourceFields` only |
///
/// A licence is not negative and carries no severity.
public enum LicenceRow {
    /// Builds the record for one row.
    ///
    /// - Throws: `DomainError` naming the field code (upper case) that is missing or invalid.
    public static func record(from fields: [String: String]) throws(DomainError) -> CreditRecord {
        let row = DoublePublicityFields(fields, prefix: "XK")
        let documentNumber = try row.required("WSH")
        let name = try row.required("XDR_MC")
        let authority = try row.required("XKJG")
        guard let decisionDate = try row.date("JDRQ") else { throw .missing(field: "XK_JDRQ") }
        let (subject, subjectKind) = try row.subject()
        let related = try row.relatedPersons()
        let aliases = try row.aliases()
        let validFrom = try row.date("YXQZ")
        let validUntil = try row.date("YXQZI")
        if let validUntil {
            let start = validFrom ?? decisionDate
            if validUntil < start {
                throw .invalid(field: "XK_YXQZI", value: validUntil, reason: "is before the start of validity \(start)")
            }
        }
        return CreditRecord(
            kind: .licence, subjectID: subject.value, subjectScheme: subject.scheme, subjectKind: subjectKind,
            subjectName: name, relatedPersons: related, documentNumber: documentNumber, authority: authority,
            summary: row["NR"] ?? row["XKZS"] ?? row["XKWS"] ?? "行政许可", decisionDate: decisionDate, validUntil: validUntil,
            sourceFields: row.sourceFields, validFrom: validFrom, category: row["XKLB"], subjectAliases: aliases)
    }
}
