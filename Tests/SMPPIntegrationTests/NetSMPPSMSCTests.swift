import Foundation
import Logging
import NIOCore
import SMPP
import SMPPClient
@testable import TandemTestSupport
import Testing

/// The client against a second third-party SMSC: Perl Net::SMPP (Debian `libnet-smpp-perl`,
/// installed by `scripts/bootstrap --test`) in the SMSC role, wrapped by
/// `scripts/smsc/netsmpp-smsc.pl`. Net::SMPP parses our requests and encodes the answers for the
/// operations smpp.twisted3 cannot: query_sm, cancel_sm, replace_sm, submit_multi, data_sm.
@Suite(.serialized) struct NetSMPPSMSCTests {
    final class NetSMPPSMSC {
        let process = Process()
        let port: Int

        init() throws {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/perl")
            process.arguments = [SMSCSimulator.repositoryRoot.appendingPathComponent("scripts/smsc/netsmpp-smsc.pl").path, "0"]
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
            guard let field = line.split(separator: "=").last, let port = Int(field.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                kill(process.processIdentifier, SIGKILL)
                throw SMSCSimulator.StartError(description: "netsmpp-smsc.pl did not start (is libnet-smpp-perl installed? run scripts/bootstrap --test): '\(line)'")
            }
            self.port = port
        }

        deinit { kill(process.processIdentifier, SIGKILL) }
    }

    static func withBoundClient(_ body: (SMPPClient) async throws -> Void) async throws {
        let smsc = try NetSMPPSMSC()
        var logger = Logger(label: "test.netsmpp")
        logger.logLevel = .warning
        let configuration = SMPPBindConfiguration(name: "netsmpp", host: "127.0.0.1", port: smsc.port, bindType: .transceiver,
                                                  systemID: "tandem", password: "secret", requestTimeout: .seconds(5),
                                                  reconnectInitialDelay: .milliseconds(100), reconnectMaxDelay: .milliseconds(300))
        let client = SMPPClient(configuration: configuration, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await client.waitUntilBound(timeout: .seconds(15))
            try await body(client)
            await client.shutdown()
        }
        _ = smsc
    }

    @Test func submitQueryCancelReplaceSubmitMultiAndDataSMInteroperate() async throws {
        try await Self.withBoundClient { client in
            var submit = SubmitSM()
            submit.sourceAddr = "15550001111"
            submit.destinationAddr = "447700900123"
            submit.shortMessage = Array("hello Net::SMPP".utf8)
            #expect(try await client.submit(submit).messageID == "NS1")

            var query = QuerySM()
            query.messageID = "NS1"
            query.sourceAddr = "15550001111"
            let queried = try await client.request(.querySM(query))
            guard case .querySMResp(let resp?) = queried.body else {
                Issue.record("expected a query_sm_resp with a body, got \(queried)")
                return
            }
            #expect(queried.commandStatus == .ok)
            #expect(resp.messageID == "NS1")
            #expect(resp.finalDate == "")
            #expect(MessageState(rawValue: resp.messageState) == .delivered)

            var cancel = CancelSM()
            cancel.messageID = "NS1"
            cancel.sourceAddr = "15550001111"
            cancel.destinationAddr = "447700900123"
            let cancelled = try await client.request(.cancelSM(cancel))
            #expect(cancelled.commandID == .cancelSMResp)
            #expect(cancelled.commandStatus == .ok)

            var replace = ReplaceSM()
            replace.messageID = "NS1"
            replace.sourceAddr = "15550001111"
            replace.shortMessage = Array("replaced".utf8)
            let replaced = try await client.request(.replaceSM(replace))
            #expect(replaced.commandID == .replaceSMResp)
            #expect(replaced.commandStatus == .ok)

            var multi = SubmitMulti()
            multi.sourceAddr = "15550001111"
            multi.destAddresses = [.smeAddress(ton: 1, npi: 1, address: "447700900123"), .distributionList(name: "agents")]
            multi.shortMessage = Array("to many".utf8)
            let multiResp = try await client.request(.submitMulti(multi))
            #expect(multiResp.commandID == .submitMultiResp)
            guard case .submitMultiResp(let body?) = multiResp.body else {
                Issue.record("expected a submit_multi_resp with a body, got \(multiResp)")
                return
            }
            #expect(body.messageID == "NS2")
            #expect(body.unsuccessSMEs == [UnsuccessSME(destAddrTON: 1, destAddrNPI: 1, destinationAddr: "447700900999",
                                                        errorStatusCode: .invalidDestinationAddress)])

            var data = DataSM()
            data.sourceAddr = "15550001111"
            data.destinationAddr = "447700900123"
            data.tlvs = [TLV(tag: .messagePayload, value: Array("data_sm payload".utf8))]
            let dataResp = try await client.request(.dataSM(data))
            guard case .dataSMResp(let dataBody?) = dataResp.body else {
                Issue.record("expected a data_sm_resp with a body, got \(dataResp)")
                return
            }
            #expect(dataBody.messageID == "NS3")
        }
    }
}
