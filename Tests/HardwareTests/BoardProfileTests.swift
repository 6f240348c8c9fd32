import CamgateCore
import Foundation
@testable import Hardware
import Platform
import Testing
import TestSupport

/// The shipped profiles against fake /proc and /sys trees of each board
/// (Tests/Fixtures/boards/<case>: the files a real board shows, and
/// expected.json, derived by the rules of docs/board-profiles.md).
@Suite struct BoardProfileTests {
    static let profilesDirectory = "\(Repository.root)/board/profiles"
    static let cases = ((try? FileManager.default.contentsOfDirectory(atPath: Repository.fixture("boards"))) ?? []).sorted()

    static func profiles() throws -> [BoardProfile] {
        try BoardProfiles.load(directory: profilesDirectory)
    }

    @Test func everyShippedProfileParsesAndTheSevenBoardsAreThere() throws {
        let ids = try Self.profiles().map(\.id)
        #expect(ids == ["generic-aarch64", "generic-x86_64", "intel-n100", "nvidia-jetson-orin", "raspberry-pi-4", "raspberry-pi-5", "rockchip-rk3588"])
    }

    @Test func thereIsAFakeTreeForEveryProfileAndForAnUnknownBoard() throws {
        let expected = try Self.cases.map { try JSONValue.parse(FileSystem.read(Repository.fixture("boards/\($0)/expected.json")))["profile"] ?? .null }
        let covered = Set(expected.compactMap(\.stringValue))
        #expect(covered == Set(try Self.profiles().map(\.id)))
        #expect(expected.contains(.null))
    }

    /// Runs on x86_64 here, with aarch64 and riscv64 trees: the choice
    /// depends on the files read, never on the machine that reads them.
    @Test(arguments: cases)
    func eachBoardGetsItsProfileAndHealthFromItsFilesWhateverTheHostArchitecture(_ name: String) throws {
        let root = Repository.fixture("boards/\(name)")
        let expected = try JSONValue.parse(FileSystem.read("\(root)/expected.json"))
        let system = BoardSystem(root: root)
        let choice = try BoardMatcher.choose(try Self.profiles(), facts: system.facts())
        #expect(choice.id.map(JSONValue.string) ?? .null == expected["profile"], "\(name): \(choice.reasons)")
        #expect(choice.variant.map { JSONValue.string($0.id) } ?? .null == expected["variant"])
        let health = system.health(choice)
        #expect(health.thermalZone.map(JSONValue.string) ?? .null == expected["thermal_zone_type"])
        #expect(health.temperatureCelsius.map(JSONValue.double) ?? .null == expected["temperature_celsius"].map(Self.asDouble))
        #expect(health.uptimeSeconds.map(JSONValue.double) ?? .null == Self.asDouble(expected["uptime_seconds"] ?? .null))
        let t = health.throttling
        #expect(t?.underVoltageNow.map(JSONValue.bool) ?? .null == expected["under_voltage_now"])
        #expect(t?.underVoltageOccurred.map(JSONValue.bool) ?? .null == expected["under_voltage_occurred"])
        #expect(t?.throttledNow.map(JSONValue.bool) ?? .null == expected["throttled_now"])
        #expect(t?.throttledOccurred.map(JSONValue.bool) ?? .null == expected["throttled_occurred"])
        let wear = health.storageWear.first
        #expect(wear.map { JSONValue.string($0.device) } ?? .null == expected["wear_device"])
        #expect(wear?.percentUsed.map(JSONValue.string) ?? .null == expected["wear_percent_used"])
        #expect(wear?.preEOLText.map(JSONValue.string) ?? .null == expected["wear_pre_eol"])
    }

    static func asDouble(_ value: JSONValue) -> JSONValue {
        if case .int(let i) = value { return .double(Double(i)) }
        return value
    }

    @Test func theOrinNanoVariantHasNoHardwareEncoderWhileTheAGXKeepsItsOrder() throws {
        let profiles = try Self.profiles()
        let nano = try BoardMatcher.choose(profiles, facts: BoardSystem(root: Repository.fixture("boards/nvidia-jetson-orin-nano")).facts())
        let agx = try BoardMatcher.choose(profiles, facts: BoardSystem(root: Repository.fixture("boards/nvidia-jetson-orin-agx")).facts())
        #expect(nano.encoderNames == ["software"])
        #expect(agx.encoderNames != nano.encoderNames)
        #expect(agx.encoderPriority.unavailable.contains("nvmpi"))
    }

    @Test func theRK3588ProfileSaysItsEncoderNeedsARockchipBuildAndFallsBack() throws {
        let choice = try BoardMatcher.choose(try Self.profiles(), facts: BoardSystem(root: Repository.fixture("boards/rockchip-rk3588")).facts())
        #expect(choice.encoderPriority.unavailable == ["rkmpp"])
        #expect(choice.encoderPriority.order.first == .software)
        #expect(choice.profile?.encoderNotes.contains("Rockchip") == true)
    }

    @Test func aForcedBoardWinsOverDetectionAndAnUnknownOneIsRefused() throws {
        let profiles = try Self.profiles()
        let facts = BoardSystem(root: Repository.fixture("boards/raspberry-pi-4")).facts()
        let forced = try BoardMatcher.choose(profiles, facts: facts, forced: "generic-aarch64")
        #expect(forced.id == "generic-aarch64")
        #expect(forced.reasons.first?.contains("chosen by configuration") == true)
        #expect(throws: BoardMatcher.UnknownBoard.self) { try BoardMatcher.choose(profiles, facts: facts, forced: "raspberry-pi-9") }
        let wrongArch = try BoardMatcher.choose(profiles, facts: facts, forced: "intel-n100")
        #expect(wrongArch.reasons.contains { $0.contains("warning: the profile is for x86_64") })
    }

    @Test func aThrottlePatternWithAStarFindsTheNamedHwmonOnly() {
        let system = BoardSystem(root: Repository.fixture("boards/raspberry-pi-5"))
        let paths = system.expand("/sys/class/hwmon/hwmon*/in0_lcrit_alarm")
        #expect(paths == ["/sys/class/hwmon/hwmon0/in0_lcrit_alarm", "/sys/class/hwmon/hwmon1/in0_lcrit_alarm"])
    }
}
