import ArgumentParser
import Conversations
import Foundation
import Hummingbird
import Logging
import SMPPClient
import TandemAPI
import TandemBridge
import TandemStore

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the bridge: the Conversations API over the embedded SQLite store.",
        discussion: """
        Credentials: --account-sid/--auth-token (or TANDEM_ACCOUNT_SID/TANDEM_AUTH_TOKEN, or the config file). \
        Without them, an account SID and auth token are generated on first start, stored in the database and printed once.
        """
    )

    @Option(help: "JSON configuration file (see README). Options given here win over it.")
    var config: String?

    @Option(help: "Address the HTTP API listens on (default 127.0.0.1).")
    var host: String?

    @Option(help: "Port the HTTP API listens on (default 8080).")
    var port: Int?

    @Option(help: "Absolute base URL clients reach the API at, used in every url/links/meta field (default http://HOST:PORT).")
    var publicBaseURL: String?

    @Option(help: "SQLite database file, created on first start (default tandem.db in the working directory).")
    var database: String?

    @Option(help: "full: fsync every (group) commit; normal: survive process crashes only.")
    var durability: String?

    @Option(help: "Account SID clients authenticate with (AC + 32 hex). Env: TANDEM_ACCOUNT_SID.")
    var accountSid: String?

    @Option(help: "Auth token clients authenticate with. Env: TANDEM_AUTH_TOKEN.")
    var authToken: String?

    @Option(name: .customLong("api-key"), help: "An API key pair SK…:SECRET (repeatable). Env: TANDEM_API_KEYS (comma-separated).")
    var apiKeys: [String] = []

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func validate() throws {
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be 0...65535 (0: any free port), got \(port)") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let durability, Durability(rawValue: durability) == nil {
            throw ValidationError("--durability must be full or normal, got \(durability)")
        }
    }

    func run() async throws {
        var logger = Logger(label: "tandem")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let environment = ProcessInfo.processInfo.environment
        let file: ServeConfigurationFile?
        do {
            file = try config.map(ServeConfigurationFile.load(path:))
        } catch {
            throw ValidationError("\(error)")
        }

        let host = host ?? file?.http?.host ?? "127.0.0.1"
        var port = port ?? file?.http?.port ?? 8080
        guard (0...65535).contains(port) else { throw ValidationError("http.port must be 0...65535, got \(port)") }
        if port == 0 {
            // Any free port: found before the URLs are fixed, since they carry it.
            guard let free = freePort(host: host) else { throw ValidationError("no free port on \(host)") }
            port = free
        }
        let configuredBase = publicBaseURL ?? file?.http?.publicBaseURL
        if configuredBase == nil, ["0.0.0.0", "::", "[::]"].contains(host) {
            throw ValidationError("listening on \(host) (every interface): give --public-base-url (or http.publicBaseURL), the address clients use; it goes into every url the API returns")
        }
        let base = configuredBase ?? (host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)")
        guard let url = URL(string: base), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw ValidationError("public base URL must be an absolute http(s) URL, got \(base)")
        }
        let databasePath = database ?? file?.database?.path ?? "tandem.db"
        let durabilityName = durability ?? file?.database?.durability ?? "full"
        guard let durability = Durability(rawValue: durabilityName) else {
            throw ValidationError("database.durability must be full or normal, got \(durabilityName)")
        }

        // The database (and its WAL) hold the conversations and the credentials: owner-only.
        umask(0o077)
        let store: ConversationStore
        do {
            store = try ConversationStore(path: databasePath, durability: durability, logger: logger)
        } catch {
            throw ValidationError("cannot open the database \(databasePath): \(error)")
        }

        // API keys: the command line's, else the environment's, else the file's (one source wins).
        var keyPairs = apiKeys
        if keyPairs.isEmpty, let env = environment["TANDEM_API_KEYS"] { keyPairs = env.split(separator: ",").map(String.init) }
        var keys: [String: String] = [:]
        for pair in keyPairs {
            let parts = pair.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, SID.isValid(parts[0], prefix: .apiKey), !parts[1].isEmpty else {
                throw ValidationError("an API key must be SK + 32 hex digits, a colon and the secret; got '\(pair.prefix(40))'")
            }
            keys[parts[0]] = parts[1]
        }
        for key in (keyPairs.isEmpty ? file?.api?.apiKeys ?? [] : []) {
            guard SID.isValid(key.sid, prefix: .apiKey), !key.secret.isEmpty else {
                throw ValidationError("api.apiKeys: '\(key.sid)' is not SK + 32 hex digits with a secret")
            }
            keys[key.sid] = key.secret
        }

        var account = accountSid ?? environment["TANDEM_ACCOUNT_SID"] ?? file?.api?.accountSid
        var token = authToken ?? environment["TANDEM_AUTH_TOKEN"] ?? file?.api?.authToken
        if (account == nil) != (token == nil) {
            throw ValidationError("give both the account SID and the auth token, or neither (then they are generated and stored)")
        }
        if account == nil {
            let (stored, created) = try await store.storedCredentials()
            account = stored.accountSid
            token = stored.authToken
            // The token goes to an owner-only file beside the database, never into the log.
            let tokenFile = databasePath + ".credentials"
            if created || !FileManager.default.fileExists(atPath: tokenFile) {
                let text = "TANDEM_ACCOUNT_SID=\(stored.accountSid)\nTANDEM_AUTH_TOKEN=\(stored.authToken)\n"
                guard FileManager.default.createFile(atPath: tokenFile, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
                    throw ValidationError("cannot write the credentials file \(tokenFile)")
                }
            }
            logger.notice("\(created ? "generated" : "stored") API credentials: account SID \(stored.accountSid); the auth token is in \(tokenFile) (mode 0600)")
        }
        guard let account, let token, SID.isValid(account, prefix: .account) else {
            throw ValidationError("the account SID must be AC + 32 hex digits")
        }
        guard token.count >= 16 else { throw ValidationError("the auth token must be at least 16 characters") }

        // The SMS bridge, when the configuration names SMSCs.
        var bridge: SMSBridge?
        if let providers = file?.smpp?.providers, !providers.isEmpty {
            let pool = providers.map { p in
                var bind = SMPPBindConfiguration(name: p.name, host: p.host, port: p.port, systemID: p.systemId, password: p.password,
                                                 systemType: p.systemType ?? "", windowSize: p.window ?? 10, rateLimit: p.rate)
                // Throttled answers the client absorbs (slowing down) before the pool fails over.
                if let retries = p.throttleRetries { bind.maxThrottleRetries = retries }
                return SMSProvider(bind: bind, priority: p.priority ?? 1, weight: p.weight ?? 1, prefixes: p.prefixes ?? [])
            }
            let binds = pool.map(\.bind)
            let candidate = SMSBridge(store: store, configuration: SMSBridgeConfiguration(
                providers: pool, rejectUnrouted: file?.smpp?.rejectUnrouted ?? true), logger: logger)
            let problems = candidate.problems()
            guard problems.isEmpty else { throw ValidationError("smpp: " + problems.joined(separator: "; ")) }
            bridge = candidate
            logger.notice("SMS bridge: \(binds.map { "\($0.name) \($0.host):\($0.port)" }.joined(separator: ", ")); unrouted inbound \((file?.smpp?.rejectUnrouted ?? true) ? "rejected (the SMSC retries)" : "dropped")")
        }

        // SIP, when the configuration has a sip section: bound now so a taken port fails the start.
        var sip: ServeSIP?
        if let section = file?.sip {
            sip = try await ServeSIP(section: section, store: store, logger: logger)
            logger.notice("SIP listening on \(section.listen ?? "127.0.0.1:5060") (port \(sip?.port ?? 0)), transport \(section.transport ?? "both")\(section.trunk.map { "; trunk \($0.host):\($0.port) pinged every \(Int(section.pingInterval ?? 30)) s" } ?? "")")
        }
        let sipPort = sip?.port

        let api = ConversationsAPI(store: store, credentials: APICredentials(accountSid: account, authToken: token, apiKeys: keys), baseURL: base)
        logger.notice("tandem \(TandemHTTP.version) serving http://\(host):\(port) (public \(base)), database \(databasePath), durability \(durability.rawValue), default service \(store.defaultServiceSid)")

        // For test harnesses: stop when the process that started us is gone.
        if environment["TANDEM_EXIT_WITH_PARENT"] == "1" {
            let parent = getppid()
            Task.detached {
                while getppid() == parent { try? await Task.sleep(for: .seconds(1)) }
                Foundation.exit(0)
            }
        }

        let timerLogger = logger, appLogger = logger, listenPort = port
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await TandemHTTP.application(host: host, port: listenPort, conversations: api, logger: appLogger) { bound in
                    // One machine-readable line for scripts and tests (the port matters with --port 0).
                    FileHandle.standardOutput.write(Data("READY http=\(bound)\(sipPort.map { " sip=\($0)" } ?? "")\n".utf8))
                    appLogger.notice("listening on http://\(host):\(bound)")
                }.runService()
            }
            if let bridge {
                group.addTask { await bridge.run() }
            }
            group.addTask {
                // The conversation timers: active → inactive → closed when due. Once an hour, parts
                // of long MO that never completed (a day old) and carrier receipts that never
                // matched a submission (a week old) are forgotten.
                var tick = 0
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    tick += 1
                    if tick % 3600 == 0 {
                        let parts = (try? await store.purgeStaleSegments(olderThan: 86_400)) ?? 0
                        let receipts = (try? await store.purgeEarlyReceipts(olderThan: 7 * 86_400)) ?? 0
                        if parts + receipts > 0 {
                            timerLogger.notice("purged \(parts) stale parts of long inbound messages and \(receipts) unmatched receipts")
                        }
                    }
                    do {
                        for change in try await store.fireTimers() {
                            timerLogger.info("conversation \(change.sid) is now \(change.state.rawValue) (timer)")
                        }
                    } catch {
                        timerLogger.error("conversation timers: \(error)")
                    }
                }
            }
            try await group.next()
            group.cancelAll()
        }
        await sip?.stop()
        try store.close()
    }
}

/// A port the kernel considers free on `host` now (bound, read back, released).
func freePort(host: String) -> Int? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    // A name (localhost) or an IPv6 address: probe on every IPv4 interface instead.
    if inet_pton(AF_INET, host, &address.sin_addr) != 1 { address.sin_addr.s_addr = 0 }
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { return nil }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard named == 0 else { return nil }
    return Int(UInt16(bigEndian: address.sin_port))
}
