/// The registration authority (登记管理部门, position 1) and organisation type (机构类别, position 2)
/// of a unified social credit code, GB 32100-2015 table 1 with the authorities added since
/// (A 中央军委改革和编制办公室, N 农业农村 for rural collective economic organisations).
///
/// | authority | types | subject kind |
/// |---|---|---|
/// | `1` 机构编制 | `1` 机关 · `2` 事业单位 · `3` 中央编办直接管理机构编制的群众团体 · `9` 其他 | government agency · public institution · social organisation · public institution |
/// | `2` 外交 | `1` 外国常驻新闻机构 · `9` 其他 | social organisation |
/// | `3` 司法行政 | `1` 律师执业机构 · `2` 公证处 · `3` 基层法律服务所 · `4` 司法鉴定机构 · `5` 仲裁委员会 · `9` 其他 | enterprise (1, 3, 4, 9) · public institution (2, 5) |
/// | `4` 文化 | `1` 外国在华文化中心 · `9` 其他 | social organisation |
/// | `5` 民政 | `1` 社会团体 · `2` 民办非企业单位 · `3` 基金会 · `9` 其他 | social organisation |
/// | `6` 旅游 | `1` 外国旅游部门常驻代表机构 · `2` 港澳台地区旅游部门常驻内地（大陆）代表机构 · `9` 其他 | social organisation |
/// | `7` 宗教 | `1` 宗教活动场所 · `2` 宗教院校 · `9` 其他 | social organisation |
/// | `8` 工会 | `1` 基层工会 · `9` 其他 | social organisation |
/// | `9` 工商 (market regulation) | `1` 企业 · `2` 个体工商户 · `3` 农民专业合作社 | enterprise · individual business · enterprise |
/// | `A` 中央军委改革和编制办公室 | `1` 军队事业单位 · `9` 其他 | public institution |
/// | `N` 农业 | `1` 组级 · `2` 村级 · `3` 乡镇级集体经济组织 · `9` 其他 | enterprise |
/// | `Y` 其他 | `1` | enterprise |
///
/// The five subject kinds are those of the Huzhou Joint Reward and Punishment Opinions 一(二) (五类主体) plus
/// individual businesses; an explicit subject category in a record (`CF_XDR_LB`) refines this.
public struct USCCRegistration: Sendable, Hashable {
    public var authority: Character
    public var type: Character
    public var authorityName: String
    public var typeName: String
    public var kind: SubjectKind

    /// The entry for an authority and type character, or nil when the standard defines no such pair.
    public static func lookup(authority: Character, type: Character) -> USCCRegistration? {
        guard let entry = table[authority], let (typeName, kind) = entry.types[type] else { return nil }
        return USCCRegistration(authority: authority, type: type, authorityName: entry.name, typeName: typeName, kind: kind)
    }

    /// Why an undefined pair is refused, naming what the standard allows.
    static func refusal(authority: Character, type: Character) -> String {
        guard let entry = table[authority] else {
            let known = table.keys.map(String.init).sorted().joined(separator: " ")
            return "registration authority '\(authority)' in position 1 is not defined by GB 32100-2015 (defined: \(known))"
        }
        let types = entry.types.keys.map(String.init).sorted().joined(separator: " ")
        return
            "organisation type '\(type)' in position 2 is not defined for registration authority \(authority) (\(entry.name)); it defines \(types)"
    }

    /// Every defined pair, for tests and documentation.
    public static var all: [USCCRegistration] {
        table.keys.sorted().flatMap { authority in
            table[authority]!.types.keys.sorted().compactMap { lookup(authority: authority, type: $0) }
        }
    }

    static let table: [Character: (name: String, types: [Character: (String, SubjectKind)])] = [
        "1": (
            "机构编制",
            [
                "1": ("机关", .governmentAgency), "2": ("事业单位", .publicInstitution),
                "3": ("中央编办直接管理机构编制的群众团体", .socialOrganisation), "9": ("其他", .publicInstitution),
            ]
        ),
        "2": ("外交", ["1": ("外国常驻新闻机构", .socialOrganisation), "9": ("其他", .socialOrganisation)]),
        "3": (
            "司法行政",
            [
                "1": ("律师执业机构", .enterprise), "2": ("公证处", .publicInstitution), "3": ("基层法律服务所", .enterprise),
                "4": ("司法鉴定机构", .enterprise), "5": ("仲裁委员会", .publicInstitution), "9": ("其他", .enterprise),
            ]
        ),
        "4": ("文化", ["1": ("外国在华文化中心", .socialOrganisation), "9": ("其他", .socialOrganisation)]),
        "5": (
            "民政",
            [
                "1": ("社会团体", .socialOrganisation), "2": ("民办非企业单位", .socialOrganisation),
                "3": ("基金会", .socialOrganisation), "9": ("其他", .socialOrganisation),
            ]
        ),
        "6": (
            "旅游",
            [
                "1": ("外国旅游部门常驻代表机构", .socialOrganisation),
                "2": ("港澳台地区旅游部门常驻内地（大陆）代表机构", .socialOrganisation), "9": ("其他", .socialOrganisation),
            ]
        ),
        "7": ("宗教", ["1": ("宗教活动场所", .socialOrganisation), "2": ("宗教院校", .socialOrganisation), "9": ("其他", .socialOrganisation)]),
        "8": ("工会", ["1": ("基层工会", .socialOrganisation), "9": ("其他", .socialOrganisation)]),
        "9": ("工商", ["1": ("企业", .enterprise), "2": ("个体工商户", .individualBusiness), "3": ("农民专业合作社", .enterprise)]),
        "A": ("中央军委改革和编制办公室", ["1": ("军队事业单位", .publicInstitution), "9": ("其他", .publicInstitution)]),
        "N": (
            "农业",
            [
                "1": ("组级集体经济组织", .enterprise), "2": ("村级集体经济组织", .enterprise),
                "3": ("乡镇级集体经济组织", .enterprise), "9": ("其他", .enterprise),
            ]
        ),
        "Y": ("其他", ["1": ("其他", .enterprise)]),
    ]
}
