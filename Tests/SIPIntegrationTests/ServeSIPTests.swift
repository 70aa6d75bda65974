import Foundation
@testable import TandemTestSupport
import Testing

/// `tandem serve` with a `sip` section, against Kamailio as the trunk.
@Suite(.serialized) struct ServeSIPTests {
    @Test func serveRoutesInboundCallsByTheStoreAndPingsTheTrunk() async throws {
        let trunk = try SIPTrunk.start(routes: [:])
        defer { trunk.stop() }
        let database = TandemServer.temporaryDatabase("serve-sip")
        let config = URL(fileURLWithPath: database).deletingLastPathComponent().appendingPathComponent("tandem.json").path
        let json = """
            {"sip": {"listen": "127.0.0.1:0", "transport": "both", "pingInterval": 1,
                     "trunk": {"host": "127.0.0.1", "port": \(trunk.open)}}}
            """
        try json.write(toFile: config, atomically: true, encoding: .utf8)
        let server = try TandemServer.start(database: database, extra: ["--config", config])
        defer { server.stop() }
        let sipPort = try #require(server.sipPort, "READY line without sip=PORT")

        // +15557777 becomes ours through an Address Configuration.
        let created = try await server.request("POST", "/v1/Configuration/Addresses", form: "Type=sms&Address=%2B15557777")
        #expect(created.status == 201, "\(created.text)")

        let probe = try SIPProbe(target: sipPort)
        #expect(try probe.send(probe.request("INVITE", user: "+15557777"))?.code == 480)
        #expect(try probe.send(probe.request("INVITE", user: "+15550404"))?.code == 404)
        #expect(try probe.send(probe.request("OPTIONS"))?.code == 200)

        // The trunk answers the OPTIONS pings (one a second): up, logged once.
        #expect(await within(5) { server.log.contains("SIP trunk up") }, "\(server.log)")
        try await Task.sleep(for: .seconds(2))
        #expect(server.log.components(separatedBy: "SIP trunk up").count == 2, "logged once, not per ping")
        // The trunk goes away: two pings unanswered within the interval → down, logged once.
        trunk.stop()
        #expect(await within(8) { server.log.contains("SIP trunk down") }, "\(server.log)")
    }

    @Test func aSipSectionWithUnknownKeysStopsTheStart() throws {
        let database = TandemServer.temporaryDatabase("serve-sip-bad")
        let config = URL(fileURLWithPath: database).deletingLastPathComponent().appendingPathComponent("tandem.json").path
        try #"{"sip": {"listen": "127.0.0.1:0", "trunk": {"host": "127.0.0.1", "port": 5060, "passwd": "x"}}}"#
            .write(toFile: config, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TandemServer.binary)
        process.arguments = ["serve", "--port", "0", "--database", database, "--config", config]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let exited = waitForExit(process, timeout: 15)
        if !exited { process.terminate() }
        #expect(exited, "serve started despite the unknown key")
        guard exited else { return }
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus != 0)
        #expect(text.contains("sip.trunk.passwd"), "\(text)")
    }
}
