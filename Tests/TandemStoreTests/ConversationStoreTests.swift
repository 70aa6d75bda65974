import Conversations
import Foundation
import GRDB
import TandemStore
import Testing

/// A store in a temporary file with a clock the test moves.
final class StoreFixture: @unchecked Sendable {
    let path: String
    let store: ConversationStore
    private let now: Clock

    final class Clock: @unchecked Sendable {
        private let lock = NSLock()
        private var value: UnixTime = 1_800_000_000
        func get() -> UnixTime { lock.lock(); defer { lock.unlock() }; return value }
        func advance(_ seconds: Int64) { lock.lock(); value += seconds; lock.unlock() }
    }

    init(durability: Durability = .normal) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-store-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("t.db").path
        let clock = Clock()
        now = clock
        store = try ConversationStore(path: path, durability: durability, clock: { clock.get() })
    }

    var service: String { store.defaultServiceSid }
    func advance(_ seconds: Int64) { now.advance(seconds) }
    var time: UnixTime { now.get() }

    func conversation(_ draft: ConversationDraft = .init()) async throws -> Conversation {
        try await store.createConversation(service: service, draft)
    }

    func sms(_ conversation: Conversation, _ address: String, _ proxy: String) async throws -> Participant {
        try await store.addParticipant(service: service, conversation: conversation.sid, ParticipantDraft(address: address, proxyAddress: proxy))
    }
}

func expectAPIError(_ code: Int, _ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async {
    do {
        try await body()
        Issue.record("expected error \(code), nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as ConversationsError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected ConversationsError \(code), got \(error)", sourceLocation: sourceLocation)
    }
}

@Suite struct BindingRuleTests {
    @Test func aPairBelongsToOneOpenConversationOnly() async throws {
        let f = try StoreFixture()
        let a = try await f.conversation(), b = try await f.conversation()
        _ = try await f.sms(a, "+15550000001", "+15559999999")
        await expectAPIError(50416) { _ = try await f.sms(b, "+15550000001", "+15559999999") }
        // The same end user through another of our numbers is a different pair.
        _ = try await f.sms(b, "+15550000001", "+15559999998")
        let routed = try await f.store.conversationForBinding(service: f.service, address: "+15550000001", proxyAddress: "+15559999999")
        #expect(routed?.0.sid == a.sid)
    }

    @Test func closingOrRemovingFreesThePair() async throws {
        let f = try StoreFixture()
        let a = try await f.conversation(), b = try await f.conversation(), c = try await f.conversation()
        let p = try await f.sms(a, "+15550000002", "+15559999999")
        _ = try await f.store.updateConversation(service: f.service, a.sid, ConversationUpdate(state: .closed))
        let moved = try await f.sms(b, "+15550000002", "+15559999999")
        #expect(try await f.store.conversationForBinding(service: f.service, address: "+15550000002", proxyAddress: "+15559999999")?.0.sid == b.sid)
        try await f.store.removeParticipant(service: f.service, conversation: b.sid, moved.sid)
        _ = try await f.sms(c, "+15550000002", "+15559999999")
        // The closed conversation still lists its participant, bound or not.
        #expect(try await f.store.participant(service: f.service, conversation: a.sid, p.sid).sid == p.sid)
    }

    @Test func pairsAreScopedToTheirService() async throws {
        let f = try StoreFixture()
        let other = try await f.store.createService(friendlyName: "other")
        let a = try await f.conversation()
        let b = try await f.store.createConversation(service: other.sid, ConversationDraft())
        _ = try await f.sms(a, "+15550000003", "+15559999999")
        _ = try await f.store.addParticipant(service: other.sid, conversation: b.sid, ParticipantDraft(address: "+15550000003", proxyAddress: "+15559999999"))
        await expectAPIError(20404) { _ = try await f.store.conversation(service: other.sid, a.sid) }
    }

    @Test func addressEqualToProxyAndDuplicateMembersAreRefused() async throws {
        let f = try StoreFixture()
        let a = try await f.conversation()
        await expectAPIError(50409) { _ = try await f.sms(a, "+15550000004", "+15550000004") }
        _ = try await f.store.addParticipant(service: f.service, conversation: a.sid, ParticipantDraft(identity: "agent"))
        await expectAPIError(50437) { _ = try await f.store.addParticipant(service: f.service, conversation: a.sid, ParticipantDraft(identity: "agent")) }
    }

    @Test func atMostFiftyMessagingParticipants() async throws {
        let f = try StoreFixture()
        let a = try await f.conversation()
        for i in 0..<ConversationLimits.messagingParticipants {
            _ = try await f.sms(a, "+1555100\(String(format: "%04d", i))", "+15559999999")
        }
        await expectAPIError(50439) { _ = try await f.sms(a, "+15552000000", "+15559999999") }
        // Chat participants do not count against it.
        _ = try await f.store.addParticipant(service: f.service, conversation: a.sid, ParticipantDraft(identity: "agent"))
    }
}

@Suite struct ConversationStateTests {
    @Test func aClosedConversationIsImmutable() async throws {
        let f = try StoreFixture()
        let a = try await f.conversation()
        let p = try await f.store.addParticipant(service: f.service, conversation: a.sid, ParticipantDraft(identity: "agent"))
        _ = try await f.store.updateConversation(service: f.service, a.sid, ConversationUpdate(state: .closed))
        await expectAPIError(50377) { _ = try await f.store.updateConversation(service: f.service, a.sid, ConversationUpdate(friendlyName: "x")) }
        await expectAPIError(50377) { _ = try await f.store.updateConversation(service: f.service, a.sid, ConversationUpdate(state: .active)) }
        await expectAPIError(50377) { _ = try await f.store.appendMessage(service: f.service, conversation: a.sid, MessageDraft(body: "hi")) }
        await expectAPIError(50377) { _ = try await f.store.addParticipant(service: f.service, conversation: a.sid, ParticipantDraft(identity: "b")) }
        await expectAPIError(50377) { try await f.store.removeParticipant(service: f.service, conversation: a.sid, p.sid) }
        // Deleting it is allowed (apps delete closed conversations).
        try await f.store.deleteConversation(service: f.service, a.sid)
        await expectAPIError(20404) { _ = try await f.store.conversation(service: f.service, a.sid) }
    }

    @Test func cannotBeCreatedClosedAndUniqueNamesAreUnique() async throws {
        let f = try StoreFixture()
        await expectAPIError(50384) { _ = try await f.conversation(ConversationDraft(state: .closed)) }
        let a = try await f.conversation(ConversationDraft(uniqueName: "room"))
        await expectAPIError(50353) { _ = try await f.conversation(ConversationDraft(uniqueName: "room")) }
        #expect(try await f.store.conversation(service: f.service, "room").sid == a.sid)
    }

    @Test func timersFireInactiveThenClosedAndReleaseBindings() async throws {
        let f = try StoreFixture()
        let a = try await f.conversation(ConversationDraft(inactiveAfter: 60, closedAfter: 600))
        _ = try await f.sms(a, "+15550000005", "+15559999999")
        #expect(try await f.store.fireTimers(now: f.time + 59).isEmpty)
        let first = try await f.store.fireTimers(now: f.time + 60)
        #expect(first.map(\.state) == [.inactive])
        #expect(try await f.store.conversation(service: f.service, a.sid).state == .inactive)
        let second = try await f.store.fireTimers(now: f.time + 600)
        #expect(second.map(\.state) == [.closed])
        #expect(try await f.store.conversationForBinding(service: f.service, address: "+15550000005", proxyAddress: "+15559999999") == nil)
        #expect(try await f.store.fireTimers(now: f.time + 100_000).isEmpty)
    }

    @Test func aNewMessageReactivatesAndRestartsTheTimers() async throws {
        let f = try StoreFixture()
        let a = try await f.conversation(ConversationDraft(inactiveAfter: 60, closedAfter: 600))
        _ = try await f.store.fireTimers(now: f.time + 60)
        f.advance(300)
        _ = try await f.store.appendMessage(service: f.service, conversation: a.sid, MessageDraft(body: "back"))
        let now = try await f.store.conversation(service: f.service, a.sid)
        #expect(now.state == .active)
        #expect(now.timers.dateInactive == f.time + 60)
        #expect(now.timers.dateClosed == f.time + 600)
        #expect(try await f.store.fireTimers(now: f.time + 599).map(\.state) == [.inactive])
    }
}

@Suite struct MessageAndOutboxTests {
    @Test func indexesAscendAndAreNotReusedAfterDelete() async throws {
        let f = try StoreFixture()
        let a = try await f.conversation()
        var sids: [String] = []
        for i in 0..<3 {
            let m = try await f.store.appendMessage(service: f.service, conversation: a.sid, MessageDraft(body: "m\(i)"))
            #expect(m.index == i)
            sids.append(m.sid)
        }
        try await f.store.deleteMessage(service: f.service, conversation: a.sid, sids[2])
        #expect(try await f.store.appendMessage(service: f.service, conversation: a.sid, MessageDraft(body: "m3")).index == 3)
    }

    @Test func oneQueuedReceiptAndOutboxRowPerOtherMessagingParticipant() async throws {
        let f = try StoreFixture()
        let a = try await f.conversation()
        let alice = try await f.sms(a, "+15550000011", "+15559999991")
        _ = try await f.sms(a, "+15550000012", "+15559999992")
        _ = try await f.store.addParticipant(service: f.service, conversation: a.sid, ParticipantDraft(identity: "agent"))
        // From the agent: both SMS participants get it.
        let fromAgent = try await f.store.appendMessage(service: f.service, conversation: a.sid, MessageDraft(author: "agent", body: "hello"))
        #expect(fromAgent.delivery?.total == 2)
        let rows = try await f.store.outbox(message: fromAgent.sid)
        #expect(Set(rows.map(\.address)) == ["+15550000011", "+15550000012"])
        #expect(Set(rows.map(\.proxyAddress)) == ["+15559999991", "+15559999992"])
        #expect(rows.allSatisfy { $0.body == "hello" })
        // From Alice (by address): only the other SMS participant.
        let fromAlice = try await f.store.appendMessage(service: f.service, conversation: a.sid, MessageDraft(author: "+15550000011", body: "hi"))
        #expect(fromAlice.participantSid == alice.sid)
        #expect(try await f.store.outbox(message: fromAlice.sid).map(\.address) == ["+15550000012"])
        let receipts = try await f.store.receipts(service: f.service, conversation: a.sid, message: fromAlice.sid, PageRequest())
        #expect(receipts.items.map(\.status) == [.queued])
    }

    @Test func aRecordedSubmissionMarksTheReceiptSentAndEmptiesTheOutboxRow() async throws {
        let f = try StoreFixture()
        let a = try await f.conversation()
        _ = try await f.sms(a, "+15550000021", "+15559999991")
        let m = try await f.store.appendMessage(service: f.service, conversation: a.sid, MessageDraft(body: "x"))
        let row = try #require(try await f.store.dueOutbox(limit: 10).first { $0.messageSid == m.sid })
        try await f.store.recordSubmission(row, provider: "smsc-a", parts: [SubmittedPart(idKeys: ["t:abc"])])
        #expect(try await f.store.outbox(message: m.sid).isEmpty)
        #expect(try await f.store.message(service: f.service, conversation: a.sid, m.sid).delivery?.sent == .all)
        let receipt = try #require(try await f.store.receipts(service: f.service, conversation: a.sid, message: m.sid, PageRequest()).items.first)
        #expect(receipt.status == .sent)
        #expect(receipt.channelMessageSid.map { SID.isValid($0, prefix: .channelMessage) } == true)
        #expect(try await f.store.applyCarrierReceipt(provider: "smsc-a", keys: ["t:abc"], status: .delivered, errorCode: 0))
        #expect(try await f.store.message(service: f.service, conversation: a.sid, m.sid).delivery?.delivered == .all)
    }

    @Test func smsBodiesAreLimitedTo1600Characters() async throws {
        let f = try StoreFixture()
        let chat = try await f.conversation()
        _ = try await f.store.appendMessage(service: f.service, conversation: chat.sid, MessageDraft(body: String(repeating: "a", count: 2000)))
        let sms = try await f.conversation()
        _ = try await f.sms(sms, "+15550000031", "+15559999991")
        _ = try await f.store.appendMessage(service: f.service, conversation: sms.sid, MessageDraft(body: String(repeating: "é", count: 1600)))
        await expectAPIError(21617) { _ = try await f.store.appendMessage(service: f.service, conversation: sms.sid, MessageDraft(body: String(repeating: "a", count: 1601))) }
    }
}

@Suite struct PagingTests {
    @Test func forwardBackwardAndDescendingPagesCoverEveryRowOnce() async throws {
        let f = try StoreFixture()
        let a = try await f.conversation()
        for i in 0..<7 { _ = try await f.store.appendMessage(service: f.service, conversation: a.sid, MessageDraft(body: "m\(i)")) }
        var seen: [Int] = []
        var request = PageRequest(size: 3)
        var pages: [Page<Message>] = []
        while true {
            let page = try await f.store.listMessages(service: f.service, conversation: a.sid, request)
            pages.append(page)
            seen += page.items.map(\.index)
            guard let next = page.next else { break }
            request.cursor = next
        }
        #expect(seen == [0, 1, 2, 3, 4, 5, 6])
        #expect(pages.map { $0.items.count } == [3, 3, 1])
        #expect(pages[0].previous == nil)
        // Back from the last page lands on the middle page.
        let back = try await f.store.listMessages(service: f.service, conversation: a.sid, PageRequest(size: 3, cursor: pages[2].previous))
        #expect(back.items.map(\.index) == [3, 4, 5])
        #expect(back.next != nil && back.previous != nil)
        var descending = PageRequest(size: 4, descending: true)
        let firstDesc = try await f.store.listMessages(service: f.service, conversation: a.sid, descending)
        #expect(firstDesc.items.map(\.index) == [6, 5, 4, 3])
        descending.cursor = firstDesc.next
        #expect(try await f.store.listMessages(service: f.service, conversation: a.sid, descending).items.map(\.index) == [2, 1, 0])
    }

    @Test func pagesStayStableWhileRowsAreAdded() async throws {
        let f = try StoreFixture()
        for i in 0..<4 { _ = try await f.conversation(ConversationDraft(friendlyName: "c\(i)")) }
        let first = try await f.store.listConversations(service: f.service, PageRequest(size: 2))
        _ = try await f.conversation(ConversationDraft(friendlyName: "late"))
        let second = try await f.store.listConversations(service: f.service, PageRequest(size: 2, cursor: first.next))
        #expect(first.items.map(\.friendlyName) == ["c0", "c1"])
        #expect(second.items.map(\.friendlyName) == ["c2", "c3"])
    }
}

@Suite struct TransactionTests {
    @Test func concurrentWritesShareCommitsButFailAlone() async throws {
        let f = try StoreFixture()
        let a = try await f.conversation()
        _ = try await f.sms(a, "+15550000041", "+15559999991")
        // 200 appends at once, every third one too long: those fail, the rest commit.
        let results = await withTaskGroup(of: (Int, Bool).self) { group in
            for i in 0..<200 {
                group.addTask {
                    let body = i % 3 == 0 ? String(repeating: "x", count: 1601) : "ok \(i)"
                    let ok = (try? await f.store.appendMessage(service: f.service, conversation: a.sid, MessageDraft(body: body))) != nil
                    return (i, ok)
                }
            }
            var all: [(Int, Bool)] = []
            for await r in group { all.append(r) }
            return all
        }
        for (i, ok) in results { #expect(ok == (i % 3 != 0), "append \(i)") }
        let counts = try await f.store.counts()
        let good = results.filter(\.1).count
        #expect(counts.messages == good)
        #expect(counts.outbox == good, "a failed append left outbox rows behind")
        // Indexes are dense over the committed messages only.
        var indexes: [Int] = []
        var request = PageRequest(size: 100)
        while true {
            let page = try await f.store.listMessages(service: f.service, conversation: a.sid, request)
            indexes += page.items.map(\.index)
            guard let next = page.next else { break }
            request.cursor = next
        }
        #expect(indexes == Array(0..<good))
    }

    @Test func aCreateWithParticipantsIsAllOrNothing() async throws {
        let f = try StoreFixture()
        let a = try await f.conversation()
        _ = try await f.sms(a, "+15550000051", "+15559999991")
        await expectAPIError(50425) {
            _ = try await f.store.createConversation(service: f.service, ConversationDraft(uniqueName: "partial"), participants: [
                ParticipantDraft(identity: "agent"), ParticipantDraft(address: "+15550000051", proxyAddress: "+15559999991"),
            ])
        }
        await expectAPIError(20404) { _ = try await f.store.conversation(service: f.service, "partial") }
        let agent = try await f.store.participantConversations(service: f.service, identity: "agent", address: nil, PageRequest())
        #expect(agent.items.isEmpty)
    }

    @Test func dataSurvivesReopeningTheFile() async throws {
        let f = try StoreFixture(durability: .full)
        let a = try await f.conversation(ConversationDraft(uniqueName: "kept"))
        let m = try await f.store.appendMessage(service: f.service, conversation: a.sid, MessageDraft(body: "still here"))
        try f.store.close()
        let reopened = try ConversationStore(path: f.path)
        #expect(reopened.defaultServiceSid == f.service, "the default service changed on reopen")
        #expect(try await reopened.message(service: f.service, conversation: "kept", m.sid).body == "still here")
        #expect(try await reopened.listRoles(service: f.service, PageRequest()).items.count == DefaultRoles.all.count)
    }
}

@Suite struct ParticipantRulesTests {
    @Test func removingAParticipantDropsItsWaitingDeliveries() async throws {
        let f = try StoreFixture()
        let a = try await f.conversation()
        let gone = try await f.sms(a, "+15550000061", "+15559999991")
        _ = try await f.sms(a, "+15550000062", "+15559999992")
        let m = try await f.store.appendMessage(service: f.service, conversation: a.sid, MessageDraft(body: "x"))
        try await f.store.removeParticipant(service: f.service, conversation: a.sid, gone.sid)
        #expect(try await f.store.outbox(message: m.sid).map(\.address) == ["+15550000062"])
        let receipts = try await f.store.receipts(service: f.service, conversation: a.sid, message: m.sid, PageRequest()).items
        #expect(receipts.first { $0.participantSid == gone.sid }?.status == .failed)
    }

    @Test func rolesMustExistInTheServiceWithTheRightType() async throws {
        let f = try StoreFixture()
        let a = try await f.conversation()
        let roles = try await f.store.listRoles(service: f.service, PageRequest()).items
        let serviceRole = try #require(roles.first { $0.type == .service })
        let conversationRole = try #require(roles.first { $0.type == .conversation })
        _ = try await f.store.addParticipant(service: f.service, conversation: a.sid, ParticipantDraft(identity: "ok", roleSid: conversationRole.sid))
        await expectAPIError(20001) {
            _ = try await f.store.addParticipant(service: f.service, conversation: a.sid, ParticipantDraft(identity: "x", roleSid: serviceRole.sid))
        }
        await expectAPIError(20404) {
            _ = try await f.store.addParticipant(service: f.service, conversation: a.sid, ParticipantDraft(identity: "y", roleSid: SID.make(.role)))
        }
        await expectAPIError(20001) { _ = try await f.store.createUser(service: f.service, UserDraft(identity: "u", roleSid: conversationRole.sid)) }
    }

    @Test func whatsappAndSMSAddressesCannotBePaired() async throws {
        let f = try StoreFixture()
        let a = try await f.conversation()
        await expectAPIError(50414) { _ = try await f.sms(a, "whatsapp:+15550000071", "+15559999991") }
        let p = try await f.sms(a, "whatsapp:+15550000071", "whatsapp:+15559999991")
        #expect(p.binding?.type == "whatsapp")
    }

    @Test func editingAMessagePastTheSMSLimitIsRefused() async throws {
        let f = try StoreFixture()
        let a = try await f.conversation()
        _ = try await f.sms(a, "+15550000081", "+15559999991")
        let m = try await f.store.appendMessage(service: f.service, conversation: a.sid, MessageDraft(body: "short"))
        await expectAPIError(21617) {
            _ = try await f.store.updateMessage(service: f.service, conversation: a.sid, m.sid, MessageUpdate(body: String(repeating: "a", count: 1601)))
        }
    }

    @Test func changingTheDefaultServiceMovesTheDefaultPaths() async throws {
        let f = try StoreFixture()
        let other = try await f.store.createService(friendlyName: "other")
        let old = f.store.defaultServiceSid
        _ = try await f.store.updateAccountConfiguration { $0.defaultChatServiceSid = other.sid }
        #expect(f.store.defaultServiceSid == other.sid)
        await expectAPIError(20001) { try await f.store.deleteService(other.sid) }
        try await f.store.deleteService(old)
    }
}

@Suite struct MediaOnlyMessageTests {
    @Test func aMediaOnlyMessageToAnSMSParticipantIsStoredWithAnEmptyOutboxBody() async throws {
        let f = try StoreFixture()
        let a = try await f.conversation()
        _ = try await f.sms(a, "+15550000091", "+15559999991")
        let media = [MediaItem(sid: SID.make(.media), contentType: "image/png", filename: "a.png", size: 10)]
        let m = try await f.store.appendMessage(service: f.service, conversation: a.sid, MessageDraft(author: "agent", body: nil, media: media))
        #expect(try await f.store.outbox(message: m.sid).map(\.body) == [""])
        let fetched = try await f.store.message(service: f.service, conversation: a.sid, m.sid)
        #expect(fetched.media?.map(\.contentType) == ["image/png"])
        #expect(fetched.body == nil)
    }
}

@Suite struct ReadHorizonTests {
    @Test func theReadHorizonCanBeSetAndCleared() async throws {
        let f = try StoreFixture()
        let a = try await f.conversation()
        let p = try await f.store.addParticipant(service: f.service, conversation: a.sid, ParticipantDraft(identity: "agent"))
        let set = try await f.store.updateParticipant(service: f.service, conversation: a.sid, p.sid,
                                                      ParticipantUpdate(lastReadMessageIndex: 3, lastReadTimestamp: "2026-11-21T10:00:00Z"))
        #expect(set.lastReadMessageIndex == 3)
        var clear = ParticipantUpdate()
        clear.clearReadHorizon = true
        let cleared = try await f.store.updateParticipant(service: f.service, conversation: a.sid, p.sid, clear)
        #expect(cleared.lastReadMessageIndex == nil && cleared.lastReadTimestamp == nil)
    }

    @Test func dateFilteredListsAreNewestFirst() async throws {
        let f = try StoreFixture()
        for i in 0..<3 { _ = try await f.conversation(ConversationDraft(friendlyName: "c\(i)")) }
        let page = try await f.store.listConversations(service: f.service, filter: ConversationFilter(createdFrom: 0),
                                                       PageRequest(size: 10, descending: true))
        #expect(page.items.map(\.friendlyName) == ["c2", "c1", "c0"])
    }
}
