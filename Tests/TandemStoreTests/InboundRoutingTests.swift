import Conversations
import Foundation
import TandemStore
import Testing

/// Inbound SMS → conversation: binding lookup, autocreation, the unrouted policies, and long
/// messages whose parts arrive one by one.
@Suite struct InboundRoutingTests {
    static let utf8: @Sendable ([UInt8], UInt8) -> String? = { bytes, _ in String(decoding: bytes, as: UTF8.self) }

    func sms(_ text: String, from: String = "+15550001001", to: String = "+15559990001", part: InboundSMS.Part? = nil) -> InboundSMS {
        InboundSMS(source: from, destination: to, dataCoding: 0, payload: Array(text.utf8), part: part)
    }

    @Test func aBoundSenderLandsInItsConversationAuthoredByItsParticipant() async throws {
        let f = try StoreFixture()
        let a = try await f.conversation()
        let sender = try await f.sms(a, "+15550001001", "+15559990001")
        _ = try await f.sms(a, "+15550001002", "+15559990002")
        let outcome = try await f.store.receiveInbound(sms("hello"), rejectUnrouted: true, decode: Self.utf8)
        guard case .appended(let conversation, let message, let created) = outcome else { Issue.record("\(outcome)"); return }
        #expect(conversation == a.sid && !created)
        let m = try await f.store.message(service: f.service, conversation: a.sid, message)
        #expect(m.body == "hello" && m.author == "+15550001001" && m.participantSid == sender.sid)
        // Relayed to the other SMS participant only, from its own proxy number.
        let rows = try await f.store.outbox(message: message)
        #expect(rows.map(\.address) == ["+15550001002"])
        #expect(rows.map(\.proxyAddress) == ["+15559990002"])
    }

    @Test func anAutocreatingAddressConfigurationStartsAConversation() async throws {
        let f = try StoreFixture()
        var draft = AddressConfigurationDraft()
        draft.type = "sms"; draft.address = "+15559990001"; draft.enabled = true; draft.autoType = "webhook"
        draft.webhookUrl = "https://example.com/hook"; draft.webhookMethod = "post"; draft.webhookFilters = ["onMessageAdded"]
        _ = try await f.store.createAddressConfiguration(draft)
        let outcome = try await f.store.receiveInbound(sms("first contact"), rejectUnrouted: true, decode: Self.utf8)
        guard case .appended(let conversation, let message, let created) = outcome else { Issue.record("\(outcome)"); return }
        #expect(created)
        let participants = try await f.store.listParticipants(service: f.service, conversation: conversation, PageRequest()).items
        #expect(participants.map { $0.binding?.address } == ["+15550001001"])
        #expect(participants.map { $0.binding?.proxyAddress } == ["+15559990001"])
        #expect(try await f.store.message(service: f.service, conversation: conversation, message).body == "first contact")
        let hooks = try await f.store.listWebhooks(service: f.service, conversation: conversation, PageRequest()).items
        #expect(hooks.map(\.url) == ["https://example.com/hook"])
        #expect(hooks.first?.filters == ["onMessageAdded"])
        // The next message from the same sender finds the new binding.
        let next = try await f.store.receiveInbound(sms("again"), rejectUnrouted: true, decode: Self.utf8)
        #expect({ if case .appended(conversation, _, false) = next { return true } else { return false } }())
    }

    @Test func unroutedMessagesAreRejectedOrDroppedAndNothingIsStored() async throws {
        let f = try StoreFixture()
        var disabled = AddressConfigurationDraft()
        disabled.type = "sms"; disabled.address = "+15559990001"; disabled.enabled = false
        _ = try await f.store.createAddressConfiguration(disabled)
        await #expect(throws: InboundUnrouted.self) {
            _ = try await f.store.receiveInbound(sms("nobody"), rejectUnrouted: true, decode: Self.utf8)
        }
        #expect(try await f.store.receiveInbound(sms("nobody"), rejectUnrouted: false, decode: Self.utf8) == .unrouted)
        #expect(try await f.store.counts().messages == 0)
        #expect(try await f.store.listConversations(service: f.service, PageRequest()).items.isEmpty)
    }

    @Test func aLongMessageIsAppendedOnceItsLastPartArrivesInAnyOrder() async throws {
        let f = try StoreFixture()
        let a = try await f.conversation()
        _ = try await f.sms(a, "+15550001001", "+15559990001")
        func part(_ sequence: Int) -> InboundSMS.Part { .init(scheme: 0, reference: 42, total: 3, sequence: sequence) }
        #expect(try await f.store.receiveInbound(sms("world", part: part(3)), rejectUnrouted: true, decode: Self.utf8)
                == .waitingForParts(received: 1, total: 3))
        #expect(try await f.store.receiveInbound(sms("hello ", part: part(1)), rejectUnrouted: true, decode: Self.utf8)
                == .waitingForParts(received: 2, total: 3))
        // The SMSC re-sends a part it got no answer for: stored once.
        #expect(try await f.store.receiveInbound(sms("hello ", part: part(1)), rejectUnrouted: true, decode: Self.utf8)
                == .waitingForParts(received: 2, total: 3))
        let outcome = try await f.store.receiveInbound(sms("brave ", part: part(2)), rejectUnrouted: true, decode: Self.utf8)
        guard case .appended(_, let message, _) = outcome else { Issue.record("\(outcome)"); return }
        #expect(try await f.store.message(service: f.service, conversation: a.sid, message).body == "hello brave world")
        #expect(try await f.store.purgeStaleSegments(olderThan: 0) == 0, "the parts of a completed message were left behind")
    }

    @Test func partsOfAMessageNobodyTakesAreKeptForTheRetryUnderReject() async throws {
        let f = try StoreFixture()
        func part(_ sequence: Int) -> InboundSMS.Part { .init(scheme: 0, reference: 7, total: 2, sequence: sequence) }
        #expect(try await f.store.receiveInbound(sms("a", part: part(1)), rejectUnrouted: true, decode: Self.utf8)
                == .waitingForParts(received: 1, total: 2))
        await #expect(throws: InboundUnrouted.self) {
            _ = try await f.store.receiveInbound(sms("b", part: part(2)), rejectUnrouted: true, decode: Self.utf8)
        }
        // Once a conversation exists, the SMSC's retry of the last part completes the message.
        let a = try await f.conversation()
        _ = try await f.sms(a, "+15550001001", "+15559990001")
        let outcome = try await f.store.receiveInbound(sms("b", part: part(2)), rejectUnrouted: true, decode: Self.utf8)
        guard case .appended(_, let message, _) = outcome else { Issue.record("\(outcome)"); return }
        #expect(try await f.store.message(service: f.service, conversation: a.sid, message).body == "ab")
    }
}

@Suite struct InboundEdgeCaseTests {
    @Test func textlessOrEmptyMessagesAreDroppedNotAppended() async throws {
        let f = try StoreFixture()
        let a = try await f.conversation()
        _ = try await f.sms(a, "+15550001001", "+15559990001")
        let binary = InboundSMS(source: "+15550001001", destination: "+15559990001", dataCoding: 4, payload: [0x01, 0x02])
        let outcome = try await f.store.receiveInbound(binary, rejectUnrouted: true) { _, _ in nil }
        guard case .dropped = outcome else { Issue.record("\(outcome)"); return }
        #expect(try await f.store.counts().messages == 0)
    }

    @Test func anInboundTextLongerThan1600IsKeptWhole() async throws {
        let f = try StoreFixture()
        let a = try await f.conversation()
        _ = try await f.sms(a, "+15550001001", "+15559990001")
        _ = try await f.sms(a, "+15550001002", "+15559990002")
        let long = String(repeating: "x", count: 2000)
        let outcome = try await f.store.receiveInbound(InboundSMS(source: "+15550001001", destination: "+15559990001", dataCoding: 0,
                                                                   payload: Array(long.utf8)), rejectUnrouted: true,
                                                       decode: InboundRoutingTests.utf8)
        guard case .appended(_, let message, _) = outcome else { Issue.record("\(outcome)"); return }
        #expect(try await f.store.message(service: f.service, conversation: a.sid, message).body?.count == 2000)
    }

    @Test func aPartWhoseNumbersCannotBeALongMessageIsTakenAsAWhole() async throws {
        let f = try StoreFixture()
        let a = try await f.conversation()
        _ = try await f.sms(a, "+15550001001", "+15559990001")
        let odd = InboundSMS(source: "+15550001001", destination: "+15559990001", dataCoding: 0, payload: Array("solo".utf8),
                             part: .init(scheme: 0, reference: 1, total: 1, sequence: 1))
        let outcome = try await f.store.receiveInbound(odd, rejectUnrouted: true, decode: InboundRoutingTests.utf8)
        guard case .appended = outcome else { Issue.record("\(outcome)"); return }
    }
}
