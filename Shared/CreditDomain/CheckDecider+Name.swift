/// Checks by name when the business system has no identifier: one-stop query is "by name or code" (Siyang
/// Measures Art. 17, Otog Front Banner Plan 四(二), Huzhou Joint Reward and Punishment Opinions item 3), but
/// every record is keyed by the identifier ("以统一社会信用代码为标识", Siyang Measures Art. 9, Shaanxi Plan 三(二)1). A
/// name is therefore matched only *exactly*, after `normalisedName(_:)`; fuzzy matching (edit distance,
/// pinyin, substrings, abbreviations) is never used, because a near miss would punish a subject that was
/// never listed and the rules insist on measures taken "依法依规" (Shaanxi Plan 四(二)).
extension CheckDecider {
    /// The form in which names are compared: surrounding and inner whitespace removed (including
    /// the ideographic space U+3000), full-width ASCII turned half-width (`（` → `(`, `ＡＢＣ１` →
    /// `ABC1`), Latin letters upper-cased, and the middle-dot variants of transliterated names
    /// (`・`, `•`, `‧`, `･`) written `·`. Chinese characters are kept as they are: no
    /// traditional/simplified folding, no pinyin.
    ///
    /// `"杭州 某某（贸易）有限公司 "` and `"杭州某某(贸易)有限公司"` normalise alike;
    /// `"杭州某某贸易公司"` does not match `"杭州某某贸易有限公司"`.
    public static func normalisedName(_ name: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in name.unicodeScalars {
            // ASCII and the CJK Unified Ideographs (most of every name) without the Unicode property
            // tables: a fresh interceptor normalises every listed name of the city.
            switch scalar.value {
            case 0x09...0x0D, 0x20: continue
            case 0x61...0x7A:
                scalars.append(Unicode.Scalar(UInt8(scalar.value - 0x20)))
                continue
            case 0x00...0x7F, 0x4E00...0x9FFF:
                scalars.append(scalar)
                continue
            default: break
            }
            var value = scalar.value
            if (0xFF01...0xFF5E).contains(value) { value -= 0xFEE0 }  // full-width ASCII block
            guard let halfWidth = Unicode.Scalar(value) else { continue }
            if halfWidth.properties.isWhitespace { continue }
            if ("a"..."z").contains(halfWidth) {
                scalars.append(Unicode.Scalar(halfWidth.value - 0x20)!)
            } else if ["\u{30FB}", "\u{2022}", "\u{2027}", "\u{FF65}"].contains(halfWidth) {
                scalars.append("\u{00B7}")
            } else {
                scalars.append(halfWidth)
            }
        }
        return String(scalars)
    }

    /// Decides a transaction for a subject known only by name, on the listings the caller found by
    /// exact `normalisedName(_:)` equality with the name given (`nameMatches`, the subjects' own
    /// listings). The rules are those of `decide(department:action:today:listings:relatedListings:catalogue:)`,
    /// and the reason always ends "matched by name only (no identifier given)"; `matchedBy` is `name`.
    ///
    /// An exact name match may block: registered organisation names are unique within their
    /// registration authority. It does not block — the decision becomes `review`, and the reason
    /// says why — when the name is that of a natural person (personal names are not unique: 同名同姓)
    /// or when the in-force matches belong to more than one subject; a person then checks the
    /// identifier.
    public static func decide(
        department: Department, action: String, today: String, nameMatches: [Listing], catalogue: MeasureCatalogue
    ) -> CheckOutcome {
        decide(
            department: department, action: action, today: today, nameMatches: nameMatches.map(ListingFacts.init),
            measures: catalogue.measures(for: department, action: action))
    }

    /// The same decision on what an interceptor's replica holds, with `measures` the catalogue's
    /// `measures(for: department, action: action)`.
    public static func decide(
        department: Department, action: String, today: String, nameMatches: [ListingFacts], measures: [Measure]
    ) -> CheckOutcome {
        var outcome = outcome(
            department: department, action: action, today: today,
            candidates: nameMatches.map { (MeasureTarget.subject, $0) }, measures: measures)
        outcome.matchedBy = "name"
        if outcome.decision == .block {
            let inForce = nameMatches.filter { isInForce($0, on: today) }
            let subjects = Set(inForce.map(\.subjectID)).count
            let why: String? =
                if subjects > 1 {
                    "the name is shared by \(subjects) listed subjects"
                } else if inForce.contains(where: { $0.subjectKind.isNaturalPerson }) {
                    "a natural person's name is not unique"
                } else {
                    nil
                }
            if let why {
                outcome.decision = .review
                outcome.reason = "review required instead of a block (\(why)); would be " + outcome.reason
            }
        }
        outcome.reason += "; matched by name only (no identifier given)"
        return outcome
    }
}
