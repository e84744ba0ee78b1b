// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "credit-mesh",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "registry", targets: ["RegistryApp"]),
        .executable(name: "grading", targets: ["GradingApp"]),
        .executable(name: "sanction-dispatch", targets: ["DispatchApp"]),
        .executable(name: "repair", targets: ["RepairApp"]),
        .executable(name: "disclosure", targets: ["DisclosureApp"]),
        .executable(name: "interceptor", targets: ["InterceptorApp"]),
        .executable(name: "creditctl", targets: ["CreditCtlApp"]),
        .executable(name: "credit-bench", targets: ["CreditBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
    ],
    targets: [
        // MARK: - Shared libraries
        .systemLibrary(
            name: "CLibZMQ",
            path: "Shared/CLibZMQ",
            pkgConfig: "libzmq",
            providers: [.apt(["libzmq3-dev"])]
        ),
        .target(
            name: "ZeroMQ",
            dependencies: ["CLibZMQ"],
            path: "Shared/ZeroMQ",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "MeshProtocol",
            path: "Shared/MeshProtocol",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "MeshMetrics",
            dependencies: [
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Shared/MeshMetrics",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CreditDomain",
            dependencies: [
                "MeshProtocol",
                // SHA-256 of the inspection draw (seed and random stream).
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
            ],
            path: "Shared/CreditDomain",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Bus",
            dependencies: [
                "ZeroMQ",
                "MeshProtocol",
                "MeshMetrics",
                // SHA-256 of the audit chain.
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Shared/Bus",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ServiceKit",
            dependencies: [
                "Bus",
                "ZeroMQ",
                // SHA-256 of the interceptors' API tokens.
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ],
            path: "Shared/ServiceKit",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HTTPSupport",
            dependencies: [
                "MeshProtocol", "MeshMetrics",
                .product(name: "Hummingbird", package: "hummingbird"),
                // HTTPS for an HTTP API that leaves its host (an interceptor on a department's network).
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Shared/HTTPSupport",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "RegistryProtocol",
            dependencies: ["CreditDomain", "MeshProtocol"],
            path: "Shared/RegistryProtocol",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TestSupport",
            dependencies: [
                "ServiceKit", "MeshProtocol", "Bus", "ZeroMQ", "CreditDomain",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Shared/TestSupport",
            swiftSettings: swiftSettings
        ),

        // MARK: - Services
        .target(
            name: "RegistryCore",
            dependencies: [
                "Bus", "ServiceKit", "CreditDomain", "HTTPSupport", "MeshMetrics", "MeshProtocol", "RegistryProtocol",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Services/Registry/Core",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "RegistryApp",
            dependencies: ["RegistryCore", "ServiceKit"],
            path: "Services/Registry/App",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GradingCore",
            dependencies: [
                "Bus", "ServiceKit", "CreditDomain", "HTTPSupport", "MeshMetrics", "MeshProtocol",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Services/Grading/Core",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "GradingApp",
            dependencies: ["GradingCore", "ServiceKit"],
            path: "Services/Grading/App",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DispatchCore",
            dependencies: [
                "Bus", "ServiceKit", "CreditDomain", "HTTPSupport", "MeshMetrics", "MeshProtocol",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Services/SanctionDispatch/Core",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "DispatchApp",
            dependencies: ["DispatchCore", "ServiceKit"],
            path: "Services/SanctionDispatch/App",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "RepairCore",
            dependencies: [
                "Bus", "ServiceKit", "CreditDomain", "HTTPSupport", "MeshMetrics", "MeshProtocol",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Services/Repair/Core",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "RepairApp",
            dependencies: ["RepairCore", "ServiceKit"],
            path: "Services/Repair/App",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DisclosureCore",
            dependencies: [
                "Bus", "ServiceKit", "CreditDomain", "HTTPSupport", "MeshMetrics", "MeshProtocol",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Services/Disclosure/Core",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "DisclosureApp",
            dependencies: ["DisclosureCore", "ServiceKit"],
            path: "Services/Disclosure/App",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "InterceptorCore",
            dependencies: [
                "Bus", "ServiceKit", "CreditDomain", "HTTPSupport", "MeshMetrics", "MeshProtocol",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
            ],
            path: "Services/Interceptor/Core",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "InterceptorApp",
            dependencies: ["InterceptorCore", "ServiceKit", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")],
            path: "Services/Interceptor/App",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CreditCtlCore",
            dependencies: [
                // The operator's tool links no service's core: what it shares with the registry is
                // in RegistryProtocol.
                "Bus", "ServiceKit", "CreditDomain", "MeshProtocol", "RegistryProtocol", "ZeroMQ",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Services/CreditCtl/Core",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "CreditCtlApp",
            dependencies: ["CreditCtlCore"],
            path: "Services/CreditCtl/App",
            swiftSettings: swiftSettings
        ),

        // MARK: - Benchmarks (make bench)
        .executableTarget(
            name: "CreditBench",
            dependencies: [
                "Bus", "ServiceKit", "CreditDomain", "MeshProtocol", "DispatchCore", "InterceptorCore", "RegistryCore",
                "DisclosureCore", "GradingCore", "TestSupport", "ZeroMQ",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Tests/Benchmarks",
            swiftSettings: swiftSettings
        ),

        // MARK: - Tests
        .testTarget(
            name: "ZeroMQTests",
            dependencies: ["ZeroMQ"],
            path: "Tests/ZeroMQTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CreditDomainTests",
            dependencies: ["CreditDomain", "MeshProtocol"],
            path: "Tests/CreditDomainTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BusTests",
            dependencies: [
                "Bus", "MeshMetrics", "MeshProtocol", "ServiceKit", "TestSupport", "ZeroMQ",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/BusTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ServiceCoreTests",
            dependencies: [
                "RegistryCore", "DispatchCore", "DisclosureCore", "GradingCore", "InterceptorCore", "RepairCore", "CreditCtlCore",
                "Bus", "CreditDomain", "HTTPSupport", "MeshMetrics", "MeshProtocol", "RegistryProtocol", "ServiceKit", "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/ServiceCoreTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TestSupportTests",
            dependencies: ["TestSupport"],
            path: "Tests/TestSupportTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "TestSupport", "MeshMetrics", "MeshProtocol", "Bus", "ServiceKit", "ZeroMQ",
                .product(name: "GRDB", package: "GRDB.swift"),
                // compose/docker-compose.yml read as data (ComposeTests).
                .product(name: "Yams", package: "Yams"),
            ],
            path: "Tests/IntegrationTests",
            swiftSettings: swiftSettings
        ),
    ]
)
