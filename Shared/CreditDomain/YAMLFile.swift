import Foundation
import Yams

/// Reading a configuration file in YAML (or JSON) into its raw shape, with errors that name the file's
/// role (`catalogue`, `evaluation model` …) and, for a wrong shape, the field.
enum YAMLFile {
    static func text(of url: URL, role: String) throws(DomainError) -> String {
        do {
            return try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw .invalid(field: role, value: url.path, reason: "cannot be read: \(error.localizedDescription)")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, from yaml: String, role: String) throws(DomainError) -> T {
        do {
            return try YAMLDecoder().decode(type, from: yaml)
        } catch let error as DecodingError {
            throw .invalid(field: error.fieldPath(root: role), value: "", reason: "does not have the expected shape: \(error.reasonText)")
        } catch {
            throw .invalid(field: role, value: "", reason: "is not valid YAML: \(error)")
        }
    }
}
