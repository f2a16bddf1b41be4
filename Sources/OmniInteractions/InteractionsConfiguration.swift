import Foundation

/// Where and how to reach the API, following the official SDK's conventions.
public struct InteractionsConfiguration: Sendable {
    /// The key, from `GOOGLE_API_KEY` (preferred) or `GEMINI_API_KEY`. Never written anywhere.
    public let apiKey: String?
    /// `GOOGLE_GEMINI_BASE_URL`, default `https://generativelanguage.googleapis.com`.
    public let baseURL: String
    /// `v1` unless `GOOGLE_GENAI_API_VERSION` says otherwise (`beta` means `v1beta`).
    public let apiVersion: String

    public static let defaultBaseURL = "https://generativelanguage.googleapis.com"

    public init(apiKey: String?, baseURL: String = defaultBaseURL, apiVersion: String = "v1") {
        self.apiKey = apiKey
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.apiVersion = apiVersion
    }

    /// Reads the configuration from the environment.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment)
        -> InteractionsConfiguration
    {
        let key = [environment["GOOGLE_API_KEY"], environment["GEMINI_API_KEY"]].compactMap { $0 }.first { !$0.isEmpty }
        let base = environment["GOOGLE_GEMINI_BASE_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultBaseURL
        var version = environment["GOOGLE_GENAI_API_VERSION"].flatMap { $0.isEmpty ? nil : $0 } ?? "v1"
        if version == "beta" { version = "v1beta" }
        return InteractionsConfiguration(apiKey: key, baseURL: base, apiVersion: version)
    }

    var interactionsURL: String { "\(baseURL)/\(apiVersion)/interactions" }
    var uploadURL: String { "\(baseURL)/upload/\(apiVersion)/files" }
    func fileURL(_ name: String) -> String { "\(baseURL)/\(apiVersion)/\(name)" }
}
