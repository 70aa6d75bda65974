import SMPP

/// What to do with a submit the SMSC answered with a non-zero command_status.
///
/// The one table that decides it (SMPP 3.4 section 5.1.3 names):
///
/// | class | statuses | meaning |
/// |---|---|---|
/// | `.throttled` | ESME_RTHROTTLED 0x58, ESME_RMSGQFUL 0x14 | the SMSC is busy: slow this bind down and resend the same PDU after a delay |
/// | `.retryable` | ESME_RSYSERR 0x08, ESME_RINVBNDSTS 0x04, ESME_RSUBMITFAIL 0x45, ESME_RX_T_APPN 0x64, ESME_RDELIVERYFAILURE 0xFE, ESME_RUNKNOWNERR 0xFF, and every vendor value ≥ 0x400 | a transient failure of this SMSC: another attempt (later, or on another provider) may succeed |
/// | `.permanent` | everything else (e.g. ESME_RINVDSTADR, ESME_RINVSRCADR, ESME_RINVMSGLEN, ESME_RINVESMCLASS, ESME_RX_P_APPN, ESME_RX_R_APPN, ESME_RINVCMDID) | the message itself is refused: resending it unchanged will fail again |
public enum SubmitStatusClass: String, Sendable, Hashable {
    case throttled
    case retryable
    case permanent

    public init(_ status: CommandStatus) {
        switch status {
        case .throttled, .messageQueueFull:
            self = .throttled
        case .systemError, .invalidBindStatus, .submitFailed, .temporaryAppError, .deliveryFailure, .unknownError:
            self = .retryable
        default:
            self = status.rawValue >= 0x400 ? .retryable : .permanent
        }
    }
}
