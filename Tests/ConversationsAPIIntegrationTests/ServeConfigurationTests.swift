import Foundation
@testable import TandemTestSupport
import Testing

/// `tandem serve` refuses a configuration it cannot honour, saying what is wrong, and
/// generates credentials once when none are configured.
@Suite(.serialized) struct ServeConfigurationTests {
    func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TandemServer.binary)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        for key in ["TANDEM_ACCOUNT_SID", "TANDEM_AUTH_TOKEN", "TANDEM_API_KEYS"] { environment[key] = nil }
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func unknownKeysAndWrongTypesInTheConfigFileAreRefusedByName() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-config-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let cases: [(String, String)] = [
            (#"{"http": {"prot": 8080}}"#, "http.prot"),
            (#"{"databse": {}}"#, "databse"),
            (#"{"http": {"port": "eighty"}}"#, "http.port"),
            (#"{"database": {"durability": "sometimes"}}"#, "durability"),
            (#"{"http": {"publicBaseURL": "not a url"}}"#, "public base URL"),
            (#"{"api": {"accountSid": "AC00000000000000000000000000000001"}}"#, "both"),
            ("[1, 2]", "not a JSON object"),
            (#"{"http": {"host": "0.0.0.0"}}"#, "public-base-url"),
        ]
        for (content, expected) in cases {
            let file = directory.appendingPathComponent("tandem.json")
            try Data(content.utf8).write(to: file)
            let result = try run(["serve", "--config", file.path, "--database", directory.appendingPathComponent("t.db").path])
            #expect(result.status != 0, "\(content) was accepted")
            #expect(result.output.contains(expected), "\(content): \(result.output)")
        }
    }

    @Test func credentialsAreGeneratedOnFirstStartAndKeptInTheDatabase() async throws {
        let database = TandemServer.temporaryDatabase("credentials")
        let first = try TandemServer.start(database: database, credentials: false)
        first.stop()
        let log = first.log
        #expect(log.contains("generated API credentials"), "\(log)")
        let file = database + ".credentials"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let attributes = try FileManager.default.attributesOfItem(atPath: file)
        #expect((attributes[.posixPermissions] as? Int) == 0o600, "the credentials file is readable by others")
        let values = Dictionary(uniqueKeysWithValues: text.split(separator: "\n").compactMap { line -> (String, String)? in
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            return parts.count == 2 ? (parts[0], parts[1]) : nil
        })
        let account = try #require(values["TANDEM_ACCOUNT_SID"]), token = try #require(values["TANDEM_AUTH_TOKEN"])
        #expect(!log.contains(token), "the auth token was written to the log")

        let second = try TandemServer.start(database: database, credentials: false)
        defer { second.stop() }
        let ok = try await second.request("GET", "/v1/Conversations", authorization: TandemServer.basic(account, token))
        #expect(ok.status == 200, "the stored credentials were not reused: \(ok.text)")
        #expect(!second.log.contains(token), "the auth token was written to the log on a later start")
    }
}
