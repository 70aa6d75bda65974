// swift-tools-version:6.1
import PackageDescription

// Dependencies are chosen for what they cost to build on a 2-core machine as much as for
// what they do: SwiftNIO (the SMPP and SIP transports), argument-parser (the CLI),
// swift-log, and Hummingbird (the HTTP API), GRDB (the embedded SQLite store) and metrics.
// Heavier packages (async-http-client, jwt-kit) stay out until an issue needs them.

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Tandem",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tandem", targets: ["tandem"]),
        .library(name: "SMPP", targets: ["SMPP"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        // Already pulled in by Hummingbird; named so the API's graceful shutdown can use it.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // TLS to SMSCs (BoringSSL is compiled once: a few minutes on a cold 2-core build).
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // Also already pulled in by Hummingbird: the SMPP client's counters and timers.
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        // The embedded store (system SQLite from libsqlite3-dev): about a minute of a cold build.
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
    ],
    targets: [
        // Pure SMPP 3.4: PDUs, TLVs, codec, text, segmentation, receipts, session state machine.
        .target(
            name: "SMPP",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        // The ESME over SwiftNIO (issue: SMPP client).
        .target(
            name: "SMPPClient",
            dependencies: [
                "SMPP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .systemLibrary(
            name: "COSIP2",
            pkgConfig: "libosip2",
            providers: [.apt(["libosip2-dev"])]
        ),
        .target(
            name: "SIP",
            dependencies: [
                "COSIP2",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "Conversations", swiftSettings: swiftSettings),
        .target(
            name: "TandemStore",
            dependencies: [
                "Conversations",
                .product(name: "GRDB", package: "GRDB.swift"),
                // The message-append hot path binds and steps GRDB's prepared statements directly.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TandemBridge",
            dependencies: [
                "Conversations", "TandemStore", "SMPP", "SMPPClient", "SIP",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TandemAPI",
            dependencies: [
                "Conversations",
                "TandemStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "Captures", dependencies: ["SMPP"], swiftSettings: swiftSettings),
        .executableTarget(
            name: "tandem",
            dependencies: [
                "SMPP", "SMPPClient", "SIP", "TandemAPI", "TandemBridge", "Captures", "Conversations", "TandemStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        .testTarget(
            name: "SMPPTests",
            dependencies: ["SMPP", .product(name: "NIOTestUtils", package: "swift-nio")],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "SMPPClientTests", dependencies: ["SMPP", "SMPPClient", .product(name: "NIOCore", package: "swift-nio")],
                    swiftSettings: swiftSettings),
        // Launchers for the real peers and for `tandem serve` that the integration tests share.
        .target(
            name: "TandemTestSupport",
            dependencies: ["SMPP", "SMPPClient", .product(name: "Logging", package: "swift-log"),
                           .product(name: "NIOCore", package: "swift-nio")],
            path: "Tests/Support",
            swiftSettings: swiftSettings
        ),
        // Against the real SMSC simulator (scripts/smsc), started by the tests themselves.
        .testTarget(
            name: "SMPPIntegrationTests",
            dependencies: ["SMPP", "SMPPClient", "TandemTestSupport", .product(name: "Logging", package: "swift-log"),
                           .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        // `tandem serve` with the SMS bridge, between the real SMSC simulator and the API.
        .testTarget(
            name: "BridgeIntegrationTests",
            dependencies: ["SMPP", "TandemTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        // Runs the built `tandem` binary; no module dependency so it stays a black-box test.
        .testTarget(name: "TandemCLITests", swiftSettings: swiftSettings),
        .testTarget(name: "SIPTests", dependencies: ["SIP", .product(name: "NIOCore", package: "swift-nio")],
                    swiftSettings: swiftSettings),
        // `tandem call` / `tandem sip listen` against Kamailio, sipp and baresip (scripts/sip).
        .testTarget(name: "SIPIntegrationTests", dependencies: ["TandemTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "ConversationsTests", dependencies: ["Conversations"], swiftSettings: swiftSettings),
        // Runs the built `tandem serve` and drives it over HTTP, with the official twilio client too.
        .testTarget(
            name: "ConversationsAPIIntegrationTests",
            dependencies: ["Conversations", "TandemStore", "TandemTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TandemStoreTests",
            dependencies: ["Conversations", "TandemStore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TandemAPITests",
            dependencies: [
                "TandemAPI", "TandemStore", "Conversations",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ], swiftSettings: swiftSettings),
    ]
)
