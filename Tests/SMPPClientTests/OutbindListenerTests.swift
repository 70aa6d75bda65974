import Foundation
import NIOCore
import SMPP
import SMPPClient
import Testing

/// The outbind listener driven by a scripted SMSC over a plain socket. No third-party SMSC that
/// installs here can send outbind (smpp.twisted3 cannot), so the peer is this test's own.
@Suite struct OutbindListenerTests {
    /// A blocking TCP client speaking raw PDUs.
    final class ScriptedSMSC {
        let fd: Int32

        init(port: Int) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard result == 0 else { throw POSIXError(.ECONNREFUSED) }
        }

        deinit { close(fd) }

        func send(_ pdu: PDU) throws {
            let bytes = try pdu.encoded()
            _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
        }

        func receive() throws -> PDU {
            func read(_ count: Int) throws -> [UInt8] {
                var result: [UInt8] = []
                while result.count < count {
                    var chunk = [UInt8](repeating: 0, count: count - result.count)
                    let got = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                    guard got > 0 else { throw POSIXError(.ETIMEDOUT) }
                    result += chunk.prefix(got)
                }
                return result
            }
            let header = try read(4)
            let length = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
            return try PDUDecoder().decode(header + read(length - 4))
        }
    }

    actor Received {
        var texts: [String] = []
        func add(_ text: String) { texts.append(text) }
    }

    @Test func outbindIsAnsweredWithBindReceiverAndDeliveriesReachTheConsumer() async throws {
        let received = Received()
        let configuration = SMPPBindConfiguration(name: "outbind", host: "127.0.0.1", port: 0, bindType: .receiver,
                                                  systemID: "tandem", password: "secret")
        let listener = SMPPOutbindListener(configuration: configuration) { message in
            if case .mobileOriginated(let mo) = message, let text = mo.text() { await received.add(text) }
        }
        let server = try await listener.listen()
        defer { server.close(promise: nil) }
        let smsc = try ScriptedSMSC(port: try #require(server.localAddress?.port))

        try smsc.send(PDU(.outbind(Outbind(systemID: "tandem", password: "secret")), sequenceNumber: 1))
        let bind = try smsc.receive()
        #expect(bind.body == .bind(.receiver, Bind(systemID: "tandem", password: "secret")))
        try smsc.send(PDU(.bindResp(.receiver, BindResp(systemID: "smsc")), sequenceNumber: bind.sequenceNumber))

        var deliver = DeliverSM()
        deliver.sourceAddr = "447700900123"
        deliver.destinationAddr = "15550001111"
        deliver.shortMessage = GSM7.septets(for: "via outbind")!
        try smsc.send(PDU(.deliverSM(deliver), sequenceNumber: 2))
        let resp = try smsc.receive()
        #expect(resp.commandID == .deliverSMResp)
        #expect(resp.sequenceNumber == 2)
        #expect(resp.commandStatus == .ok)
        #expect(await received.texts == ["via outbind"])
    }
}
