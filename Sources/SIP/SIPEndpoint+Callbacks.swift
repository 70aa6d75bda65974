import Logging
import NIOCore
internal import COSIP2

/// osip2's callbacks into the endpoint. They run inside `osip_*_execute` on the endpoint's loop
/// and only record: the transaction user's work is queued for after the round, killed
/// transactions are removed from osip2's lists here and freed after the round (never inside
/// the callback), and the retention policy retires transactions that only absorb
/// retransmissions.
extension SIPEndpoint {
    // MARK: osip2 callbacks (record only; the TU runs after the round)

    private static func endpoint(of transaction: UnsafeMutablePointer<osip_transaction_t>?) -> SIPEndpoint? {
        guard let transaction, let config = transaction.pointee.config else { return nil }
        let osip = config.assumingMemoryBound(to: osip_t.self)
        guard let raw = osip_get_application_context(osip) else { return nil }
        return Unmanaged<SIPEndpoint>.fromOpaque(raw).takeUnretainedValue()
    }

    private static func context(of transaction: UnsafeMutablePointer<osip_transaction_t>?) -> TransactionContext? {
        guard let transaction, let raw = osip_transaction_get_reserved1(transaction) else { return nil }
        return Unmanaged<TransactionContext>.fromOpaque(raw).takeUnretainedValue()
    }

    static let sendCallback: @convention(c) (UnsafeMutablePointer<osip_transaction_t>?, UnsafeMutablePointer<osip_message_t>?,
                                                      UnsafeMutablePointer<CChar>?, Int32, Int32) -> Int32 = { transaction, message, _, _, _ in
        guard let endpoint = endpoint(of: transaction), let context = context(of: transaction), let message else { return -1 }
        var text: UnsafeMutablePointer<CChar>?
        var length = 0
        guard osip_message_to_str(message, &text, &length) == 0, let text else { return -1 }
        let bytes = Array(UnsafeRawBufferPointer(start: text, count: length))
        cosip2_free(text)
        endpoint.transactionSend(bytes, context: context, isRequest: cosip2_message_is_request(message) != 0)
        return 0
    }

    private func transactionSend(_ bytes: [UInt8], context: TransactionContext, isRequest: Bool) {
        write(bytes, to: context.destination, connection: context.connection) { [weak self, weak context] reason in
            guard let self, let context, !context.finished else { return }
            if let handler = context.clientHandler {
                context.finished = true
                handler(.transportError(reason))
                self.terminate(context)
            } else {
                self.logger.notice("Could not send a response", metadata: ["to": "\(context.destination)", "reason": "\(reason)"])
            }
        }
        if !isRequest, let key = context.key {
            // Remember the last response so a retired transaction can answer retransmissions.
            index.recordReply(key, bytes)
        }
    }

    /// Ends a client transaction from the outside (after a transport error): removed now,
    /// freed after the round. Runs outside osip2's execute.
    private func terminate(_ context: TransactionContext) {
        guard let transaction = context.transaction else { return }
        osip_remove_transaction(osip, transaction)
        killedTransactions.append(transaction)
        context.transaction = nil
        scheduleRun()
    }

    static let messageCallback: @convention(c) (Int32, UnsafeMutablePointer<osip_transaction_t>?,
                                                         UnsafeMutablePointer<osip_message_t>?) -> Void = { type, transaction, message in
        guard let endpoint = endpoint(of: transaction), let context = context(of: transaction) else { return }
        endpoint.transactionEvent(type, context: context, message: message)
    }

    private func value(of message: UnsafeMutablePointer<osip_message_t>?) -> SIPMessage? {
        guard let message else { return nil }
        if let parsed = parsedThisRound[UnsafeMutableRawPointer(message)] { return parsed }
        return try? SIPMessage(osip: message, raw: nil)
    }

    private func transactionEvent(_ type: Int32, context: TransactionContext, message: UnsafeMutablePointer<osip_message_t>?) {
        let kind = osip_message_callback_type(UInt32(type))
        switch kind {
        case OSIP_ICT_STATUS_1XX_RECEIVED, OSIP_NICT_STATUS_1XX_RECEIVED:
            guard let handler = context.clientHandler, let response = value(of: message) else { return }
            pendingUserWork.append { handler(.provisional(response)) }
        case OSIP_ICT_STATUS_2XX_RECEIVED, OSIP_ICT_STATUS_3XX_RECEIVED, OSIP_ICT_STATUS_4XX_RECEIVED,
             OSIP_ICT_STATUS_5XX_RECEIVED, OSIP_ICT_STATUS_6XX_RECEIVED,
             OSIP_NICT_STATUS_2XX_RECEIVED, OSIP_NICT_STATUS_3XX_RECEIVED, OSIP_NICT_STATUS_4XX_RECEIVED,
             OSIP_NICT_STATUS_5XX_RECEIVED, OSIP_NICT_STATUS_6XX_RECEIVED:
            guard let handler = context.clientHandler, !context.finished, let response = value(of: message) else { return }
            context.finished = true
            pendingUserWork.append { handler(.final(response)) }
            retireIfPolicyAllows(context, kind: kind)
        case OSIP_ICT_STATUS_TIMEOUT, OSIP_NICT_STATUS_TIMEOUT:
            guard let handler = context.clientHandler, !context.finished else { return }
            context.finished = true
            pendingUserWork.append { handler(.timeout) }
        case OSIP_IST_INVITE_RECEIVED, OSIP_NIST_REGISTER_RECEIVED, OSIP_NIST_BYE_RECEIVED, OSIP_NIST_OPTIONS_RECEIVED,
             OSIP_NIST_INFO_RECEIVED, OSIP_NIST_CANCEL_RECEIVED, OSIP_NIST_NOTIFY_RECEIVED, OSIP_NIST_SUBSCRIBE_RECEIVED,
             OSIP_NIST_UNKNOWN_REQUEST_RECEIVED:
            guard let request = value(of: message) else { return }
            let server = SIPServerTransaction(request: request, source: context.destination, context: context, endpoint: self)
            pendingUserWork.append { [weak self] in
                guard let self else { return }
                if let onRequest = self.onRequest {
                    onRequest(server)
                } else {
                    server.respond(status: 501, reason: "Not Implemented")
                }
            }
        case OSIP_IST_STATUS_3XX_SENT, OSIP_IST_STATUS_4XX_SENT, OSIP_IST_STATUS_5XX_SENT, OSIP_IST_STATUS_6XX_SENT,
             OSIP_NIST_STATUS_2XX_SENT, OSIP_NIST_STATUS_3XX_SENT, OSIP_NIST_STATUS_4XX_SENT,
             OSIP_NIST_STATUS_5XX_SENT, OSIP_NIST_STATUS_6XX_SENT, OSIP_IST_ACK_RECEIVED:
            retireIfPolicyAllows(context, kind: kind)
        default:
            break
        }
    }

    /// Under a retention policy other than `.rfc3261`, a transaction whose remaining job is
    /// only to absorb retransmissions leaves osip2 now and lives on in the index (see
    /// `SIPTransactionRetention`). Removal happens here (inside the round: removal from the
    /// lists is what osip2's own kill path does too); the free happens after the round.
    private func retireIfPolicyAllows(_ context: TransactionContext, kind: osip_message_callback_type) {
        guard configuration.retention.retiresEarly, let transaction = context.transaction, let key = context.key else { return }
        switch kind {
        case OSIP_ICT_STATUS_2XX_RECEIVED:
            return  // osip2 ends the ICT itself on a 2xx
        case OSIP_IST_STATUS_3XX_SENT, OSIP_IST_STATUS_4XX_SENT, OSIP_IST_STATUS_5XX_SENT, OSIP_IST_STATUS_6XX_SENT:
            // Keep retransmitting the final response (Timer G) until the ACK arrives.
            return
        case OSIP_ICT_STATUS_3XX_RECEIVED, OSIP_ICT_STATUS_4XX_RECEIVED, OSIP_ICT_STATUS_5XX_RECEIVED, OSIP_ICT_STATUS_6XX_RECEIVED:
            // osip2 has just sent the ACK; a retransmitted final response gets the same ACK again.
            let ack = transaction.pointee.ack.flatMap { ack -> [UInt8]? in
                var text: UnsafeMutablePointer<CChar>?
                var length = 0
                guard osip_message_to_str(ack, &text, &length) == 0, let text else { return nil }
                defer { cosip2_free(text) }
                return Array(UnsafeRawBufferPointer(start: text, count: length))
            }
            index.retire(key, reply: nil, ack: ack, now: .now(), reliable: context.destination.transport == .tcp)
        case OSIP_IST_ACK_RECEIVED:
            index.retire(key, reply: nil, ack: nil, now: .now(), reliable: context.destination.transport == .tcp)
        default:
            index.retire(key, reply: index.reply(for: key), ack: nil, now: .now(), reliable: context.destination.transport == .tcp)
        }
        osip_remove_transaction(osip, transaction)
        killedTransactions.append(transaction)
        context.transaction = nil
        context.key = nil
    }

    static let killCallback: @convention(c) (Int32, UnsafeMutablePointer<osip_transaction_t>?) -> Void = { _, transaction in
        guard let endpoint = endpoint(of: transaction), let transaction else { return }
        if let context = context(of: transaction) {
            // Already removed (retired early or ended after a transport error) and queued.
            guard context.transaction != nil else { return }
            context.transaction = nil
        }
        osip_remove_transaction(endpoint.osip, transaction)
        endpoint.killedTransactions.append(transaction)
    }

    static let transportErrorCallback: @convention(c) (Int32, UnsafeMutablePointer<osip_transaction_t>?, Int32) -> Void = { _, transaction, error in
        guard let endpoint = endpoint(of: transaction), let context = context(of: transaction) else { return }
        guard let handler = context.clientHandler, !context.finished else { return }
        context.finished = true
        endpoint.pendingUserWork.append { handler(.transportError("transport error \(error)")) }
    }
}
