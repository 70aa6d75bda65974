import Metrics
import NIOCore
import SMPP

/// The client's swift-metrics instruments for one bind (dimension `bind`):
/// `smpp_submit_total{status}`, `smpp_submit_latency` (timer), `smpp_request_failures_total{reason}`,
/// `smpp_inbound_total{kind=mo|receipt}`, `smpp_bound` (gauge 0/1), `smpp_outstanding` (gauge:
/// requests in the window or queued for it). With no metrics backend
/// bootstrapped these are no-ops.
struct SMPPMetrics: Sendable {
    private let bind: String
    private let ok: Counter
    private let latency: Timer
    private let mo: Counter
    private let receipts: Counter
    private let boundGauge: Gauge
    private let outstandingGauge: Gauge

    init(bind: String) {
        self.bind = bind
        ok = Counter(label: "smpp_submit_total", dimensions: [("bind", bind), ("status", "ESME_ROK")])
        latency = Timer(label: "smpp_submit_latency", dimensions: [("bind", bind)])
        mo = Counter(label: "smpp_inbound_total", dimensions: [("bind", bind), ("kind", "mo")])
        receipts = Counter(label: "smpp_inbound_total", dimensions: [("bind", bind), ("kind", "receipt")])
        boundGauge = Gauge(label: "smpp_bound", dimensions: [("bind", bind)])
        outstandingGauge = Gauge(label: "smpp_outstanding", dimensions: [("bind", bind)])
    }

    func outstanding(_ count: Int) {
        outstandingGauge.record(count)
    }

    func submitted(_ status: CommandStatus, latency elapsed: TimeAmount) {
        latency.recordNanoseconds(elapsed.nanoseconds)
        if status == .ok {
            ok.increment()
        } else {
            Counter(label: "smpp_submit_total", dimensions: [("bind", bind), ("status", status.specName ?? status.description)]).increment()
        }
    }

    func failed(_ reason: SMPPSession.RequestError.Kind) {
        Counter(label: "smpp_request_failures_total", dimensions: [("bind", bind), ("reason", reason.rawValue)]).increment()
    }

    func inbound(_ message: InboundMessage) {
        switch message {
        case .mobileOriginated: mo.increment()
        case .deliveryReceipt: receipts.increment()
        }
    }

    func bound(_ isBound: Bool) {
        boundGauge.record(isBound ? 1 : 0)
    }
}
