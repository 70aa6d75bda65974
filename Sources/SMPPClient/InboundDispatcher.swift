import Logging
import NIOCore
import SMPP

/// Hands inbound deliver_sm / data_sm to the consumer and completes the acknowledgement:
/// ESME_ROK once the consumer returned, ESME_RX_T_APPN when it threw (the SMSC retries).
struct InboundDispatcher: Sendable {
    let bind: String
    let consumer: SMPPClient.InboundConsumer
    let logger: Logger
    let metrics: SMPPMetrics

    func dispatch(_ pdu: PDU, ack: EventLoopPromise<CommandStatus>) {
        guard let message = InboundMessage(pdu: pdu, bind: bind) else {
            ack.succeed(.ok)
            return
        }
        metrics.inbound(message)
        let consumer = consumer
        let logger = logger
        Task {
            do {
                try await consumer(message)
                ack.succeed(.ok)
            } catch {
                logger.warning("consumer refused inbound \(pdu.commandID.specName) seq \(pdu.sequenceNumber): \(error); answering ESME_RX_T_APPN so the SMSC retries")
                ack.succeed(.temporaryAppError)
            }
        }
    }
}
