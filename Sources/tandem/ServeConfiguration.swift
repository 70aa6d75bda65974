import Foundation
import TandemStore

/// The optional configuration file of `tandem serve` (JSON). Command-line options win over
/// environment variables, which win over the file, which wins over the defaults.
///
/// ```json
/// {
///   "http": { "host": "127.0.0.1", "port": 8080, "publicBaseURL": "https://tandem.example.net" },
///   "database": { "path": "tandem.db", "durability": "full" },
///   "api": { "accountSid": "AC…", "authToken": "…", "apiKeys": [ { "sid": "SK…", "secret": "…" } ] },
///   "smpp": { "rejectUnrouted": true,
///             "providers": [ { "name": "smsc-a", "host": "10.0.0.5", "port": 2775, "systemId": "tandem", "password": "…",
///                              "systemType": "", "window": 10, "rate": 100,
///                              "priority": 1, "weight": 1, "prefixes": ["+1"] } ] },
///   "sip": { "listen": "127.0.0.1:5060", "transport": "both", "pingInterval": 30,
///            "trunk": { "host": "10.0.0.7", "port": 5060, "transport": "udp", "domain": "trunk.example.net",
///                       "user": "tandem", "password": "…", "assertIdentity": false } }
/// }
/// ```
struct ServeConfigurationFile: Decodable {
    struct HTTP: Decodable { var host: String?; var port: Int?; var publicBaseURL: String? }
    struct DatabaseSection: Decodable { var path: String?; var durability: String? }
    struct APIKey: Decodable { var sid: String; var secret: String }
    struct API: Decodable { var accountSid: String?; var authToken: String?; var apiKeys: [APIKey]? }
    struct Provider: Decodable {
        var name: String; var host: String; var port: Int; var systemId: String; var password: String
        var systemType: String?; var window: Int?; var rate: Double?
        var priority: Int?; var weight: Int?; var prefixes: [String]?
        var throttleRetries: Int?
    }
    struct SMPPSection: Decodable { var providers: [Provider]?; var rejectUnrouted: Bool? }
    struct SIPTrunkSection: Decodable {
        var host: String; var port: Int; var transport: String?; var domain: String?
        var user: String?; var password: String?; var assertIdentity: Bool?
    }
    struct SIPSection: Decodable {
        var listen: String?; var advertise: String?; var transport: String?; var pingInterval: Double?; var trunk: SIPTrunkSection?
    }
    var http: HTTP?
    var database: DatabaseSection?
    var api: API?
    var smpp: SMPPSection?
    var sip: SIPSection?

    static let knownKeys: [String: Set<String>] = [
        "": ["http", "database", "api", "smpp", "sip"],
        "sip": ["listen", "advertise", "transport", "pingInterval", "trunk"],
        "http": ["host", "port", "publicBaseURL"],
        "database": ["path", "durability"],
        "api": ["accountSid", "authToken", "apiKeys"],
        "smpp": ["providers", "rejectUnrouted"],
    ]
    static let providerKeys: Set<String> = ["name", "host", "port", "systemId", "password", "systemType", "window", "rate",
                                            "priority", "weight", "prefixes", "throttleRetries"]

    /// Reads and checks the file: unknown keys are errors (a typo must not be silently ignored).
    static func load(path: String) throws -> ServeConfigurationFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError("cannot read configuration file \(path)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ConfigurationError("\(path) is not a JSON object")
        }
        var problems: [String] = []
        for key in object.keys where !(knownKeys[""]!.contains(key)) { problems.append("unknown key '\(key)'") }
        for (section, keys) in knownKeys where !section.isEmpty {
            if let inner = object[section] as? [String: Any] {
                for key in inner.keys where !keys.contains(key) { problems.append("unknown key '\(section).\(key)'") }
            }
        }
        if let providers = (object["smpp"] as? [String: Any])?["providers"] as? [[String: Any]] {
            for (i, provider) in providers.enumerated() {
                for key in provider.keys where !providerKeys.contains(key) { problems.append("unknown key 'smpp.providers[\(i)].\(key)'") }
            }
        }
        if let trunk = (object["sip"] as? [String: Any])?["trunk"] as? [String: Any] {
            let trunkKeys: Set<String> = ["host", "port", "transport", "domain", "user", "password", "assertIdentity"]
            for key in trunk.keys where !trunkKeys.contains(key) { problems.append("unknown key 'sip.trunk.\(key)'") }
        }
        if !problems.isEmpty { throw ConfigurationError("\(path): " + problems.joined(separator: "; ")) }
        do {
            return try JSONDecoder().decode(ServeConfigurationFile.self, from: data)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let where_ = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw ConfigurationError("\(path): '\(where_)' has the wrong type: \(context.debugDescription)")
        } catch let DecodingError.dataCorrupted(context) {
            let where_ = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw ConfigurationError("\(path): '\(where_)' is invalid: \(context.debugDescription)")
        } catch let DecodingError.keyNotFound(key, context) {
            let where_ = (context.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: ".")
            throw ConfigurationError("\(path): '\(where_)' is required")
        }
    }
}

struct ConfigurationError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
