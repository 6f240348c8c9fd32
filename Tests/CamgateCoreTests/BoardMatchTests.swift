import Testing
@testable import CamgateCore

@Suite struct BoardMatchTests {
    static func profile(_ id: String, arch: [String] = ["aarch64"], rules: String, encoders: String = #"["software"]"#, extra: String = "") throws -> BoardProfile {
        let text = #"{"id": "\#(id)", "name": "\#(id)", "architectures": \#(arch), "match": \#(rules), "encoder_priority": \#(encoders)\#(extra)}"#
        return try BoardProfile(json: try JSONValue.parse(text), fileID: id)
    }

    static let pi = BoardFacts(architecture: "aarch64", deviceTreeModel: "Raspberry Pi 4 Model B Rev 1.4",
                               deviceTreeCompatible: ["raspberrypi,4-model-b", "brcm,bcm2711"])

    @Test func theMostSpecificRuleWinsAndTheArchitectureAloneIsOnlyAFallback() throws {
        let generic = try Self.profile("generic", rules: #"[{"architecture": ["aarch64"]}]"#)
        let one = try Self.profile("pi-one", rules: #"[{"device_tree_compatible": ["brcm,bcm2711"]}]"#)
        let two = try Self.profile("pi-two", rules: #"[{"device_tree_compatible": ["brcm,bcm2711"], "device_tree_model": ["Raspberry Pi 4"]}]"#)
        let choice = try BoardMatcher.choose([generic, one, two], facts: Self.pi)
        #expect(choice.id == "pi-two")
        #expect(Set(choice.alsoMatched) == ["generic", "pi-one"])
        #expect(try BoardMatcher.choose([generic], facts: Self.pi).reasons.contains { $0.contains("generic profile") })
    }

    @Test func aTieIsSaidAndGoesToTheFirstIdInOrder() throws {
        let a = try Self.profile("a-board", rules: #"[{"device_tree_compatible": ["brcm,bcm2711"]}]"#)
        let b = try Self.profile("b-board", rules: #"[{"device_tree_model": ["Raspberry Pi"]}]"#)
        let choice = try BoardMatcher.choose([b, a], facts: Self.pi)
        #expect(choice.id == "a-board")
        #expect(choice.reasons.contains { $0.contains("warning: b-board matches as well") })
    }

    @Test func noProfileForTheArchitectureMeansBuiltInDefaults() throws {
        let p = try Self.profile("pi", rules: #"[{"architecture": ["aarch64"]}]"#)
        let choice = try BoardMatcher.choose([p], facts: BoardFacts(architecture: "riscv64"))
        #expect(choice.profile == nil)
        #expect(choice.encoderPriority.order == EncoderBackend.defaultPriority)
    }

    @Test(arguments: [
        // profile list → order tried (a profile ranks, never hides, what detect proved), unavailable
        (["v4l2m2m", "software"], [EncoderBackend.v4l2m2m, .software, .nvenc, .qsv, .vaapi], [String]()),
        (["rkmpp", "software"], [.software, .nvenc, .qsv, .vaapi, .v4l2m2m], ["rkmpp"]),
        (["vaapi", "qsv", "vaapi"], [.vaapi, .qsv, .nvenc, .v4l2m2m, .software], []),
    ])
    func aProfileOrdersEncodersButNeverHidesOne(names: [String], order: [EncoderBackend], unavailable: [String]) throws {
        let list = "[" + names.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
        let p = try Self.profile("p", rules: #"[{"architecture": ["aarch64"]}]"#, encoders: list)
        let choice = try BoardMatcher.choose([p], facts: Self.pi)
        #expect(choice.encoderPriority.order == order)
        #expect(choice.encoderPriority.unavailable == unavailable)
    }

    @Test(arguments: [
        (#"{"id": "x", "name": "x", "architectures": ["aarch64"], "match": [], "encoder_priority": ["software"]}"#, "x.match"),
        (#"{"id": "y", "name": "x", "architectures": ["aarch64"], "match": [{"architecture": ["aarch64"]}], "encoder_priority": ["software"]}"#, "x.id"),
        (#"{"id": "x", "name": "x", "architectures": ["aarch64"], "match": [{"colour": ["red"]}], "encoder_priority": ["software"]}"#, "x.match[0].colour"),
        (#"{"id": "x", "name": "x", "architectures": ["aarch64"], "match": [{"architecture": ["aarch64"]}], "encoder_priority": ["software"], "throttling": {"kind": "raspberrypi", "path": "/etc/shadow"}}"#, "x.throttling.path"),
        (#"{"id": "x", "name": "x", "architectures": ["aarch64"], "match": [{"architecture": ["aarch64"]}], "encoder_priority": ["software"], "storage_wear": ["../sda"]}"#, "x.storage_wear"),
        (#"{"id": "x", "name": "x", "architectures": ["aarch64"], "match": [{"architecture": ["aarch64"]}], "encoder_priority": ["software"], "udev_rules": ["a\nb"]}"#, "x.udev_rules"),
    ])
    func aBrokenProfileIsRefusedNamingTheField(text: String, field: String) {
        #expect(throws: ConfigurationError.self) { try BoardProfile(json: try JSONValue.parse(text), fileID: "x") }
        do {
            _ = try BoardProfile(json: try JSONValue.parse(text), fileID: "x")
        } catch {
            #expect(error.field == field)
        }
    }

    @Test(arguments: [
        // get_throttled text → under-voltage now, since boot, throttled now, since boot
        ("0", false, false, false, false),
        ("50005", true, true, true, true),
        ("0x50000", false, true, false, true),
        ("1", true, false, false, false),
        ("0x4", false, false, true, false),
        ("0x2", false, false, false, false),  // frequency capped only: not "throttled" (bit 2)
    ])
    func raspberryPiThrottleBitsAreDecoded(raw: String, uvNow: Bool, uvEver: Bool, thNow: Bool, thEver: Bool) throws {
        let state = try #require(ThrottleState.decode(.raspberrypi, raw + "\n"))
        #expect(state.underVoltageNow == uvNow && state.underVoltageOccurred == uvEver)
        #expect(state.throttledNow == thNow && state.throttledOccurred == thEver)
    }

    @Test func garbageInAThrottleFileReadsAsUnknown() {
        #expect(ThrottleState.decode(.raspberrypi, "zz") == nil)
        #expect(ThrottleState.decode(.hwmonAlarm, "2") == nil)
        #expect(ThrottleState.decode(.intelCoreThrottleCount, "-1") == nil)
        #expect(ThrottleState.decode(.intelCoreThrottleCount, "0")?.throttledOccurred == false)
    }

    @Test(arguments: [
        ("0x01 0x01", "0x01", "0-10", "normal"),
        ("0x02 0x05", "0x02", "40-50", "warning"),
        ("0x0b 0x01", "0x03", "exceeded", "urgent"),
        ("0x00 0x00", nil, nil, nil),
    ] as [(String, String?, String?, String?)])
    func eMMCWearIsTheWorseEstimate(lifeTime: String, eol: String?, used: String?, pre: String?) {
        let wear = StorageWear.decode(device: "mmcblk0", lifeTime: lifeTime, preEOL: eol)
        #expect(wear?.percentUsed == used)
        #expect(wear?.preEOLText == pre)
    }

    @Test func temperatureAndUptimeParseTheKernelsText() {
        #expect(DeviceHealth.celsius(fromMillidegrees: "48312\n") == 48.312)
        #expect(DeviceHealth.celsius(fromMillidegrees: "") == nil)
        #expect(DeviceHealth.celsius(fromMillidegrees: "9999999") == nil)
        #expect(DeviceHealth.uptime(from: "3605.12 7000.00\n") == 3605.12)
        var hot = DeviceHealth(temperatureCelsius: 86, warnCelsius: 80, criticalCelsius: 85)
        #expect(hot.temperatureLevel == "hot")
        hot.temperatureCelsius = 81
        #expect(hot.temperatureLevel == "warm")
    }
}
