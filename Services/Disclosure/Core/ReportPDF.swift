import Foundation
import Subprocess
import SystemPackage

/// Prints a report's HTML to PDF with headless Chromium (Debian's `chromium`): the browser's own
/// layout and CJK fonts, so the PDF is what the HTML page prints. Without a browser the PDF is not
/// available; the HTML report always is.
public struct ReportPDF: Sendable {
    /// The browser executable, or nil when none was found (`disclosure.chromium`, else `chromium` or
    /// `chromium-browser` on the PATH).
    public let browser: String?

    public init(browser: String?) { self.browser = browser }

    /// The configured browser, or the first of `chromium` and `chromium-browser` found on the PATH.
    public static func find(configured: String?) -> ReportPDF {
        if let configured, !configured.isEmpty { return ReportPDF(browser: configured) }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            for name in ["chromium", "chromium-browser"] {
                let candidate = "\(directory)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return ReportPDF(browser: candidate) }
            }
        }
        return ReportPDF(browser: nil)
    }

    public enum Failure: Error, CustomStringConvertible {
        case noBrowser
        case browserFailed(String)

        public var description: String {
            switch self {
            case .noBrowser: "no headless browser on this server (install Debian's chromium, or set disclosure.chromium)"
            case .browserFailed(let reason): "the browser did not print the report: \(reason)"
            }
        }
    }

    /// The PDF of `html`.
    public func render(_ html: String) async throws -> Data {
        guard let browser else { throw Failure.noBrowser }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let page = directory.appendingPathComponent("report.html")
        let pdf = directory.appendingPathComponent("report.pdf")
        try Data(html.utf8).write(to: page)
        let result = try await Subprocess.run(
            .path(FilePath(browser)),
            arguments: [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", "--user-data-dir=\(directory.path)/profile",
                "--print-to-pdf=\(pdf.path)", page.absoluteString,
            ],
            output: .discarded, error: .string(limit: 1 << 20))
        guard case .exited(0) = result.terminationStatus, let data = FileManager.default.contents(atPath: pdf.path),
            data.starts(with: Data("%PDF".utf8))
        else {
            throw Failure.browserFailed("\(result.terminationStatus): \(result.standardError.suffix(500))")
        }
        return data
    }
}
