import ArgumentParser
import NIOCore
import SMPP

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks that print their figures (build with -c release).",
        subcommands: [BenchCodec.self, BenchSubmit.self, BenchSink.self, BenchStore.self, BenchRelay.self, BenchCalls.self]
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
        let submitPDU = PDU(.submitSM(BenchMessages.submitSM), sequenceNumber: 42)
        let moPDU = PDU(.deliverSM(BenchMessages.deliverSM(esmClass: 0, text: BenchMessages.moText)), sequenceNumber: 44)
        var receipt = BenchMessages.deliverSM(esmClass: 0x04, text: BenchMessages.receiptText)
        receipt.tlvs = [.cString(.receiptedMessageID, "499602d2"), .uint8(.messageState, 2)]
        let deliverPDU = PDU(.deliverSM(receipt), sequenceNumber: 43)

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

/// The messages every benchmark sends, so figures compare like with like.
enum BenchMessages {
    static let text = "Your table for 2 is confirmed for 19:30 tonight. Reply STOP to opt out."
    static let moText = "Yes, 19:30 works for us. Can we get a table by the window? Thanks!"
    static let receiptText = "id:1234567890 sub:001 dlvrd:001 submit date:2611211930 done date:2611211931 stat:DELIVRD err:000 text:Your table for 2"

    /// From a long code to an international number, registered delivery, GSM text.
    static var submitSM: SubmitSM {
        var submit = SubmitSM()
        submit.sourceAddrTON = 1
        submit.sourceAddrNPI = 1
        submit.sourceAddr = "15550001111"
        submit.destAddrTON = 1
        submit.destAddrNPI = 1
        submit.destinationAddr = "447700900123"
        submit.registeredDelivery = 1
        submit.shortMessage = Array(text.utf8)
        return submit
    }

    /// The handset's side back to the long code.
    static func deliverSM(esmClass: UInt8, text: String) -> DeliverSM {
        var deliver = DeliverSM()
        deliver.sourceAddrTON = 1
        deliver.sourceAddrNPI = 1
        deliver.sourceAddr = "447700900123"
        deliver.destAddrTON = 1
        deliver.destAddrNPI = 1
        deliver.destinationAddr = "15550001111"
        deliver.esmClass = esmClass
        deliver.shortMessage = Array(text.utf8)
        return deliver
    }
}
