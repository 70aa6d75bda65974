import Foundation
@testable import TandemTestSupport
import Testing

/// The compatibility contract: the official `twilio` Python library (installed by the test
/// command into `.venv`) drives a running `tandem serve` through every resource
/// (scripts/api/twilio_contract.py), and every check must pass.
@Suite(.serialized) struct OfficialClientContractTests {
    @Test func officialTwilioClientPassesEveryContractCheck() throws {
        let server = try TandemServer.start(database: TandemServer.temporaryDatabase("contract"))
        defer { server.stop() }
        let root = TandemServer.repositoryRoot
        let python = root.appendingPathComponent(".venv/bin/python").path
        try #require(FileManager.default.isExecutableFile(atPath: python),
                     "the project venv is missing: run scripts/bootstrap --test (scripts/test does)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [root.appendingPathComponent("scripts/api/twilio_contract.py").path]
        var environment = ProcessInfo.processInfo.environment
        environment["TANDEM_URL"] = server.baseURL
        environment["TANDEM_ACCOUNT_SID"] = TandemServer.accountSid
        environment["TANDEM_AUTH_TOKEN"] = TandemServer.authToken
        environment["TANDEM_API_KEY_SID"] = TandemServer.apiKeySid
        environment["TANDEM_API_KEY_SECRET"] = TandemServer.apiKeySecret
        for key in ["TWILIO_EDGE", "TWILIO_REGION"] { environment[key] = nil }
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let failures = output.split(separator: "\n").filter { $0.hasPrefix("FAIL") }
        #expect(process.terminationStatus == 0, "contract failures:\n\(failures.joined(separator: "\n"))\n\nserver log:\n\(server.log.suffix(3000))")
        let summary = output.split(separator: "\n").last.map(String.init) ?? ""
        #expect(summary.hasSuffix(" 0 failed"), "\(summary)")
        // The script runs dozens of checks; a run that passed nothing must not count.
        let passed = Int(summary.split(separator: " ").first ?? "") ?? 0
        #expect(passed >= 80, "\(summary)")
    }
}
