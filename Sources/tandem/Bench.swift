import ArgumentParser
import NIOCore
import SMPP

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks that print their figures (build with -c release).",
        subcommands: [BenchCodec.self, BenchSubmit.self, BenchSink.self]
    )
}

struct BenchCodec: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codec",
        abstract: "Decodes and encodes per second for submit_sm and deliver_sm on one core."
    )

    @Option(help: "Operations per timed round.")
    var iterations = 2_000_000

    @Option(help: "Timed rounds; the best round is reported.")
    var rounds = 3

    func validate() throws {
        guard iterations > 0, rounds > 0 else { throw ValidationError("--iterations and --rounds must be positive") }
    }

    func run() throws {
        #if DEBUG
        print("warning: this is a debug build; figures are meaningless. Use: swift run -c release tandem bench codec")
        #endif
        var submit = SubmitSM()
        submit.sourceAddrTON = 1
        submit.sourceAddrNPI = 1
        submit.sourceAddr = "15550001111"
        submit.destAddrTON = 1
        submit.destAddrNPI = 1
        submit.destinationAddr = "447700900123"
        submit.registeredDelivery = 1
        submit.shortMessage = Array("Your table for 2 is confirmed for 19:30 tonight. Reply STOP to opt out.".utf8)
        let submitPDU = PDU(.submitSM(submit), sequenceNumber: 42)

        var deliver = DeliverSM()
        deliver.sourceAddrTON = 1
        deliver.sourceAddrNPI = 1
        deliver.sourceAddr = "447700900123"
        deliver.destAddrTON = 1
        deliver.destAddrNPI = 1
        deliver.destinationAddr = "15550001111"
        deliver.esmClass = 0x04
        deliver.shortMessage = Array("id:1234567890 sub:001 dlvrd:001 submit date:2611211930 done date:2611211931 stat:DELIVRD err:000 text:Your table for 2".utf8)
        deliver.tlvs = [.cString(.receiptedMessageID, "499602d2"), .uint8(.messageState, 2)]
        let deliverPDU = PDU(.deliverSM(deliver), sequenceNumber: 43)

        var mo = DeliverSM()
        mo.sourceAddrTON = 1
        mo.sourceAddrNPI = 1
        mo.sourceAddr = "447700900123"
        mo.destAddrTON = 1
        mo.destAddrNPI = 1
        mo.destinationAddr = "15550001111"
        mo.shortMessage = Array("Yes, 19:30 works for us. Can we get a table by the window? Thanks!".utf8)
        let moPDU = PDU(.deliverSM(mo), sequenceNumber: 44)

        print("iterations per round: \(iterations), rounds: \(rounds), best round reported")
        for (name, pdu) in [("submit_sm", submitPDU), ("deliver_sm", moPDU), ("deliver_sm receipt", deliverPDU)] {
            let bytes = try pdu.encoded()
            print("\(name): \(bytes.count) octets, \(pdu.tlvsCount) TLVs")
            print("\(name) decodes/s: \(format(try best { try decodeRound(bytes) }))")
            print("\(name) encodes/s: \(format(try best { try encodeRound(pdu) }))")
        }
    }

    /// Runs `round` `rounds` times and returns the best operations per second.
    private func best(_ round: () throws -> Duration) throws -> Double {
        var fastest = Duration.seconds(1_000_000)
        for _ in 0..<rounds { fastest = min(fastest, try round()) }
        let seconds = Double(fastest.components.seconds) + Double(fastest.components.attoseconds) / 1e18
        return Double(iterations) / seconds
    }

    private func decodeRound(_ bytes: [UInt8]) throws -> Duration {
        let decoder = PDUDecoder()
        let buffer = ByteBuffer(bytes: bytes)
        var checksum: UInt32 = 0
        let elapsed = try ContinuousClock().measure {
            for _ in 0..<iterations {
                let pdu = try decoder.decode(buffer)
                checksum &+= pdu.sequenceNumber
            }
        }
        precondition(checksum != 1, "keeps the loop alive")
        return elapsed
    }

    private func encodeRound(_ pdu: PDU) throws -> Duration {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(512)
        var total = 0
        let elapsed = try ContinuousClock().measure {
            for _ in 0..<iterations {
                buffer.clear()
                try pdu.encode(into: &buffer)
                total &+= buffer.readableBytes
            }
        }
        precondition(total != 1, "keeps the loop alive")
        return elapsed
    }

    private func format(_ value: Double) -> String {
        String(Int(value.rounded()))
    }
}

extension PDU {
    fileprivate var tlvsCount: Int {
        switch body {
        case .submitSM(let pdu): pdu.tlvs.count
        case .deliverSM(let pdu): pdu.tlvs.count
        default: 0
        }
    }
}
