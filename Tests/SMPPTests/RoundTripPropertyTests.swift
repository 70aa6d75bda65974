import Testing
@testable import SMPP

/// A small deterministic generator (SplitMix64), so every failure reproduces from its seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random, spec-valid PDUs of every kind.
struct PDUGenerator {
    var rng: SeededGenerator

    mutating func byte() -> UInt8 { UInt8.random(in: 0...255, using: &rng) }
    mutating func bytes(_ range: ClosedRange<Int>) -> [UInt8] {
        (0..<Int.random(in: range, using: &rng)).map { _ in byte() }
    }
    /// A C-octet string of at most `max - 1` characters, ASCII or Latin-1 without NUL.
    mutating func text(_ max: Int) -> String {
        let count = Int.random(in: 0...(max - 1), using: &rng)
        var scalars = String.UnicodeScalarView()
        for _ in 0..<count { scalars.append(Unicode.Scalar(UInt8.random(in: 1...255, using: &rng))) }
        return String(scalars)
    }
    mutating func tlvs() -> TLVList {
        TLVList((0..<Int.random(in: 0...4, using: &rng)).map { _ in
            let known = Array(TLVTag.known.keys)
            let tag = Bool.random(using: &rng) ? known.randomElement(using: &rng)! : UInt16.random(in: 0...0xFFFF, using: &rng)
            return TLV(tag: TLVTag(tag), value: bytes(0...40))
        })
    }
    mutating func shortMessage<M: ShortMessagePDU>(_: M.Type) -> M {
        var pdu = M()
        pdu.serviceType = text(6)
        pdu.sourceAddrTON = byte(); pdu.sourceAddrNPI = byte(); pdu.sourceAddr = text(21)
        pdu.destAddrTON = byte(); pdu.destAddrNPI = byte(); pdu.destinationAddr = text(21)
        pdu.esmClass = byte(); pdu.protocolID = byte(); pdu.priorityFlag = byte()
        pdu.scheduleDeliveryTime = text(17); pdu.validityPeriod = text(17)
        pdu.registeredDelivery = byte(); pdu.replaceIfPresentFlag = byte()
        pdu.dataCoding = byte(); pdu.smDefaultMsgID = byte()
        pdu.shortMessage = bytes(0...254)
        pdu.tlvs = tlvs()
        return pdu
    }

    mutating func body(_ command: CommandID) -> PDUBody {
        let bindType = BindType.allCases.randomElement(using: &rng)!
        switch command {
        case .bindTransmitter, .bindReceiver, .bindTransceiver:
            let type: BindType = command == .bindTransmitter ? .transmitter : command == .bindReceiver ? .receiver : .transceiver
            return .bind(type, Bind(systemID: text(16), password: text(9), systemType: text(13), interfaceVersion: byte(),
                                    addrTON: byte(), addrNPI: byte(), addressRange: text(41)))
        case .bindTransmitterResp, .bindReceiverResp, .bindTransceiverResp:
            let type: BindType = command == .bindTransmitterResp ? .transmitter : command == .bindReceiverResp ? .receiver : .transceiver
            return .bindResp(type, Bool.random(using: &rng) ? nil : BindResp(systemID: text(16), tlvs: tlvs()))
        case .outbind: return .outbind(Outbind(systemID: text(16), password: text(9)))
        case .unbind: return .unbind
        case .unbindResp: return .unbindResp
        case .genericNack: return .genericNack
        case .enquireLink: return .enquireLink
        case .enquireLinkResp: return .enquireLinkResp
        case .cancelSMResp: return .cancelSMResp
        case .replaceSMResp: return .replaceSMResp
        case .submitSM: return .submitSM(shortMessage(SubmitSM.self))
        case .deliverSM: return .deliverSM(shortMessage(DeliverSM.self))
        case .submitSMResp: return .submitSMResp(Bool.random(using: &rng) ? nil : MessageIDResp(messageID: text(65), tlvs: tlvs()))
        case .deliverSMResp: return .deliverSMResp(Bool.random(using: &rng) ? nil : MessageIDResp(messageID: text(65), tlvs: tlvs()))
        case .dataSMResp: return .dataSMResp(Bool.random(using: &rng) ? nil : MessageIDResp(messageID: text(65), tlvs: tlvs()))
        case .submitMulti:
            var pdu = SubmitMulti()
            pdu.serviceType = text(6)
            pdu.sourceAddrTON = byte(); pdu.sourceAddrNPI = byte(); pdu.sourceAddr = text(21)
            pdu.destAddresses = (0..<Int.random(in: 1...20, using: &rng)).map { _ in
                Bool.random(using: &rng) ? .smeAddress(ton: byte(), npi: byte(), address: text(21)) : .distributionList(name: text(21))
            }
            pdu.esmClass = byte(); pdu.protocolID = byte(); pdu.priorityFlag = byte()
            pdu.scheduleDeliveryTime = text(17); pdu.validityPeriod = text(17)
            pdu.registeredDelivery = byte(); pdu.replaceIfPresentFlag = byte(); pdu.dataCoding = byte(); pdu.smDefaultMsgID = byte()
            pdu.shortMessage = bytes(0...254)
            pdu.tlvs = tlvs()
            return .submitMulti(pdu)
        case .submitMultiResp:
            if Bool.random(using: &rng) { return .submitMultiResp(nil) }
            let failed = (0..<Int.random(in: 0...5, using: &rng)).map { _ in
                UnsuccessSME(destAddrTON: byte(), destAddrNPI: byte(), destinationAddr: text(21),
                             errorStatusCode: CommandStatus(UInt32.random(in: 0...0xFFFF, using: &rng)))
            }
            return .submitMultiResp(SubmitMultiResp(messageID: text(65), unsuccessSMEs: failed, tlvs: tlvs()))
        case .dataSM:
            var pdu = DataSM()
            pdu.serviceType = text(6)
            pdu.sourceAddrTON = byte(); pdu.sourceAddrNPI = byte(); pdu.sourceAddr = text(65)
            pdu.destAddrTON = byte(); pdu.destAddrNPI = byte(); pdu.destinationAddr = text(65)
            pdu.esmClass = byte(); pdu.registeredDelivery = byte(); pdu.dataCoding = byte()
            pdu.tlvs = tlvs()
            return .dataSM(pdu)
        case .querySM:
            var pdu = QuerySM()
            pdu.messageID = text(65); pdu.sourceAddrTON = byte(); pdu.sourceAddrNPI = byte(); pdu.sourceAddr = text(21)
            return .querySM(pdu)
        case .querySMResp:
            if Bool.random(using: &rng) { return .querySMResp(nil) }
            var pdu = QuerySMResp()
            pdu.messageID = text(65); pdu.finalDate = text(17); pdu.messageState = byte(); pdu.errorCode = byte()
            pdu.tlvs = tlvs()
            return .querySMResp(pdu)
        case .cancelSM:
            var pdu = CancelSM()
            pdu.serviceType = text(6); pdu.messageID = text(65)
            pdu.sourceAddrTON = byte(); pdu.sourceAddrNPI = byte(); pdu.sourceAddr = text(21)
            pdu.destAddrTON = byte(); pdu.destAddrNPI = byte(); pdu.destinationAddr = text(21)
            return .cancelSM(pdu)
        case .replaceSM:
            var pdu = ReplaceSM()
            pdu.messageID = text(65)
            pdu.sourceAddrTON = byte(); pdu.sourceAddrNPI = byte(); pdu.sourceAddr = text(21)
            pdu.scheduleDeliveryTime = text(17); pdu.validityPeriod = text(17)
            pdu.registeredDelivery = byte(); pdu.smDefaultMsgID = byte()
            pdu.shortMessage = bytes(0...254)
            return .replaceSM(pdu)
        case .alertNotification:
            var pdu = AlertNotification()
            pdu.sourceAddrTON = byte(); pdu.sourceAddrNPI = byte(); pdu.sourceAddr = text(65)
            pdu.esmeAddrTON = byte(); pdu.esmeAddrNPI = byte(); pdu.esmeAddr = text(65)
            pdu.tlvs = tlvs()
            _ = bindType
            return .alertNotification(pdu)
        }
    }

    mutating func pdu() -> PDU {
        let command = CommandID.allCases.randomElement(using: &rng)!
        return PDU(body(command), sequenceNumber: UInt32.random(in: 0...UInt32.max, using: &rng),
                   commandStatus: CommandStatus(UInt32.random(in: 0...300, using: &rng)))
    }
}

@Suite struct RoundTripPropertyTests {
    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func everyRandomPDURoundTripsThroughTheCodec(seed: UInt64) throws {
        var generator = PDUGenerator(rng: SeededGenerator(seed: seed))
        for iteration in 0..<2_000 {
            let pdu = generator.pdu()
            let bytes = try pdu.encoded()
            let decoded = try PDUDecoder().decode(bytes)
            #expect(decoded == pdu, "seed \(seed) iteration \(iteration): \(pdu.commandID.specName)")
            if decoded != pdu { return }
            #expect(try decoded.encoded() == bytes)
        }
    }

    @Test func everyCommandIsGenerated() {
        var generator = PDUGenerator(rng: SeededGenerator(seed: 9))
        var seen = Set<CommandID>()
        for _ in 0..<2_000 { seen.insert(generator.pdu().commandID) }
        #expect(seen == Set(CommandID.allCases))
    }

    /// Mutated, truncated and extended encodings of valid PDUs: the decoder returns a PDU or a
    /// typed error, never traps, and whatever it returns re-encodes.
    @Test(arguments: [11, 12] as [UInt64])
    func mutatedPDUsNeverTrapTheDecoder(seed: UInt64) throws {
        var generator = PDUGenerator(rng: SeededGenerator(seed: seed))
        var decodedCount = 0
        var errorCount = 0
        for _ in 0..<3_000 {
            var bytes = try generator.pdu().encoded()
            switch Int.random(in: 0...3, using: &generator.rng) {
            case 0:
                for _ in 0..<Int.random(in: 1...4, using: &generator.rng) {
                    let index = Int.random(in: 0..<bytes.count, using: &generator.rng)
                    bytes[index] = generator.byte()
                }
            case 1:
                bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &generator.rng)))
            case 2:
                bytes += generator.bytes(1...8)
            default:
                // Keep command_length honest but corrupt the body.
                for _ in 0..<Int.random(in: 1...4, using: &generator.rng) where bytes.count > 16 {
                    bytes[Int.random(in: 16..<bytes.count, using: &generator.rng)] = generator.byte()
                }
            }
            // Half the time, fix command_length so the body parser (not the length check) is exercised.
            if Bool.random(using: &generator.rng), bytes.count >= 4 {
                let length = UInt32(bytes.count)
                bytes[0] = UInt8(length >> 24); bytes[1] = UInt8(length >> 16 & 0xFF)
                bytes[2] = UInt8(length >> 8 & 0xFF); bytes[3] = UInt8(length & 0xFF)
            }
            do {
                let pdu = try PDUDecoder().decode(bytes)
                _ = try pdu.encoded()
                decodedCount += 1
            } catch {
                errorCount += 1
            }
        }
        #expect(decodedCount > 0)
        #expect(errorCount > 0)
    }

    @Test func randomBytesWithAPlausibleHeaderNeverTrapTheDecoder() {
        var rng = SeededGenerator(seed: 77)
        for _ in 0..<5_000 {
            let count = Int.random(in: 16...300, using: &rng)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            bytes[0] = 0; bytes[1] = 0; bytes[2] = UInt8(count >> 8); bytes[3] = UInt8(count & 0xFF)
            let commands = CommandID.allCases
            let command = commands[Int.random(in: 0..<commands.count, using: &rng)].rawValue
            bytes[4] = UInt8(command >> 24); bytes[5] = UInt8(command >> 16 & 0xFF)
            bytes[6] = UInt8(command >> 8 & 0xFF); bytes[7] = UInt8(command & 0xFF)
            _ = try? PDUDecoder().decode(bytes)
        }
    }
}
