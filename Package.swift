// swift-tools-version:6.1
import PackageDescription

// One target per concern (docs/architecture.md). Only FoundationEssentials is
// used in Sources: full Foundation would pull ICU into the binary (~30 MB).
let package = Package(
    name: "camgate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "camgate", targets: ["camgate"]),
        .executable(name: "camgate-cloud-sim", targets: ["CloudSimulator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.29.0"),
        // 4.x, not 3.x: 3.x imports full Foundation (ICU) on Linux; 4.x uses FoundationEssentials.
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
    ],
    targets: [
        // C shims: syscalls Swift cannot call directly (variadic or missing from Glibc).
        .target(name: "CPlatform"),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),

        // Domain values and pure decision logic. No I/O.
        .target(name: "CamgateCore"),
        // Linux system calls in Swift: one EINTR-retrying wrapper, files, /proc.
        .target(name: "Platform", dependencies: ["CamgateCore", "CPlatform"]),
        // SQLite state: schema, migrations, repositories.
        .target(name: "Store", dependencies: ["CamgateCore", "CSQLite"]),
        // Child processes: spawn, watch, adopt, stop.
        .target(name: "Supervisor", dependencies: ["CamgateCore", "Platform", "CPlatform"]),
        // ffmpeg command lines, segment lists, recordings on disk.
        .target(name: "Media", dependencies: ["CamgateCore", "Platform"]),
        // libva (through dlopen) and V4L2 ioctl constants for the probes.
        .target(name: "CHardware", linkerSettings: [.linkedLibrary("dl")]),
        // Cameras and encoders: V4L2 probe, capture choice, encoder probe with trial encodes, hotplug.
        .target(name: "Hardware", dependencies: ["CamgateCore", "Media", "Platform", "CPlatform", "CHardware"]),
        // HTTP/1.1 client (TLS verified) for the cloud and MediaMTX's API; its API shows no NIO types.
        .target(name: "HTTPClient", dependencies: [
            "CamgateCore", "Platform",
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        // Object storage for uploads: SigV4 presigning (by hand), presigned
        // targets, S3's XML and answers, file digests.
        .target(name: "ObjectStore", dependencies: [
            "CamgateCore", "HTTPClient", "Platform",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // The cloud link: SSE parser and client, protocol, report uplink, upload targets.
        .target(name: "CloudLink", dependencies: [
            "CamgateCore", "HTTPClient", "ObjectStore",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // MediaMTX: path configs per lifecycle, validation, config-file edits, Control API client.
        .target(name: "MediaMTX", dependencies: [
            "CamgateCore", "HTTPClient", "Platform",
        ]),
        // The local API: HTTP/1.1 server on a Unix socket (and optional TCP), its client, metrics text, status page.
        .target(name: "LocalAPI", dependencies: [
            "CamgateCore", "Platform",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // Signed updates: versions, the two-tier trust chain (Ed25519), manifests,
        // admission, the streaming payload check and the trial judge. Pure: no I/O.
        .target(name: "OTA", dependencies: [
            "CamgateCore",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // The device side of updates: the install layout and its links,
        // staging (xz as a child process), the locked state file, the
        // unit's guard/check/exited hooks performing the judge's actions.
        .target(name: "Updater", dependencies: ["CamgateCore", "OTA", "Platform"]),
        // The agent: wires store, supervisor and media under a ServiceGroup.
        .target(name: "Daemon", dependencies: [
            "CamgateCore", "Store", "Supervisor", "Media", "Platform", "CPlatform", "CloudLink", "Hardware", "MediaMTX", "LocalAPI", "ObjectStore",
            "OTA", "Updater",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ]),
        .executableTarget(name: "camgate", dependencies: [
            "CamgateCore", "OTA", "ObjectStore", "Updater", "HTTPClient", "Store", "Daemon", "Media", "Supervisor", "Platform", "CloudLink", "Hardware", "MediaMTX", "LocalAPI",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),

        // Helpers for tests only (temporary directories, the camgate binary,
        // ffprobe, the RTSP test server). Never linked into the agent.
        .target(name: "TestSupport", dependencies: ["CamgateCore", "Platform", "CloudLink", .product(name: "NIOCore", package: "swift-nio")], path: "Tests/TestSupport"),
        // The cloud of docs/protocol.md on loopback, with fault switches (tests, bench, demo).
        .executableTarget(name: "CloudSimulator", dependencies: [
            "CamgateCore", "CloudLink", "Platform", "ObjectStore", "HTTPClient",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),

        .testTarget(name: "CamgateCoreTests", dependencies: ["CamgateCore"]),
        .testTarget(name: "OTATests", dependencies: ["OTA", "CamgateCore", .product(name: "Crypto", package: "swift-crypto")]),
        // The real binary: operator CLI, apply, status, guard/check/rollback, the Restart=always harness.
        .testTarget(name: "UpdaterTests", dependencies: ["OTA", "Updater", "CamgateCore", "Platform", "TestSupport"]),
        .testTarget(name: "HardwareTests", dependencies: ["Hardware", "Media", "CamgateCore", "Platform", "CHardware", "TestSupport"]),
        .testTarget(name: "MediaMTXTests", dependencies: ["MediaMTX", "CamgateCore", "HTTPClient", "Platform", "TestSupport"]),
        .testTarget(name: "CloudLinkTests", dependencies: ["CloudLink", "CamgateCore", "ObjectStore", "HTTPClient", "TestSupport"]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "CamgateCore", "TestSupport"]),
        .testTarget(name: "SupervisorTests", dependencies: ["Supervisor", "Platform", "CamgateCore", "TestSupport"]),
        .testTarget(name: "MediaTests", dependencies: ["Media", "Platform", "CamgateCore", "TestSupport"]),
        .testTarget(name: "ProvisioningTests", dependencies: ["CamgateCore", "CloudLink", "Platform", "TestSupport"]),
        .testTarget(name: "LocalAPITests", dependencies: ["LocalAPI", "Daemon", "CamgateCore", "Store", "Platform", "TestSupport"]),
        .testTarget(name: "DaemonTests", dependencies: [
            "Daemon", "Store", "LocalAPI", "Media", "Supervisor", "Platform", "CamgateCore", "TestSupport", "ObjectStore", "CloudLink",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
    ]
)
