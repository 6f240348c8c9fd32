import ArgumentParser
import CamgateCore
import Daemon
import Hardware
import Platform

/// `camgate board`: the board profile chosen and why.
struct Board: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the board profile chosen for this box, why, and the box's health.",
        discussion: """
        A profile orders encoders and sets recording defaults; it never makes an \
        encoder usable that `camgate detect` did not prove. Exit codes: 0, 1 when \
        the profiles cannot be read or the asked board is unknown.
        """
    )

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    @Option(name: .long, help: "Use this profile id instead of detecting (as `hardware.board` in the config does).")
    var board: String?

    @Option(name: .long, help: "Configuration file whose hardware.board is used. Default: \(ConfigFile.defaultPath) when it exists.")
    var config: String?

    @Option(name: .long, help: "Directory of board profiles. Default: \(BoardProfiles.systemDirectory), else board/profiles beside a development build.")
    var profilesDir: String?

    @Option(name: .long, help: ArgumentHelp("Root of /proc and /sys (tests use a fake tree).", visibility: .hidden))
    var systemRoot = "/"

    @Flag(name: .long, help: "Print only the profile's udev rules (what install.sh writes).")
    var udevRules = false

    func validate() throws {
        if let board, board != "auto", !BoardProfile.isValidID(board) {
            throw ValidationError("--board must be auto or a profile id (lowercase letters, digits, '-', '_')")
        }
    }

    func run() async throws {
        var forced = board
        if forced == nil {
            let path = config ?? (FileSystem.exists(ConfigFile.defaultPath) ? ConfigFile.defaultPath : nil)
            if let path {
                do { forced = try ConfigFile.load(path).board } catch { throw fail("invalid configuration: \(error)", code: 1) }
            }
        }
        let system = BoardSystem(root: systemRoot)
        let choice: BoardChoice
        do { choice = try BoardSelection.choose(directory: profilesDir, system: system, forced: forced) } catch { throw fail("\(error)", code: 1) }
        if udevRules {
            for rule in choice.profile?.udevRules ?? [] { print(rule) }
            return
        }
        let report = DeviceReport.read(system, choice: choice)
        print(json ? BoardText.json(choice, facts: system.facts(), report: report).serialized() : BoardText.text(choice, report: report))
    }
}

extension Board {
    /// The board and health as the agent would report them (the CLI's
    /// answer when no agent runs): the default config's board, else auto.
    static func localReport() -> DeviceReport? {
        let forced = FileSystem.exists(ConfigFile.defaultPath) ? (try? ConfigFile.load(ConfigFile.defaultPath))?.board : nil
        guard let choice = try? BoardSelection.choose(directory: nil, system: BoardSystem(), forced: forced) else { return nil }
        return DeviceReport.read(BoardSystem(), choice: choice)
    }
}

/// `camgate board`'s two outputs.
enum BoardText {
    static func json(_ choice: BoardChoice, facts: BoardFacts, report: DeviceReport) -> JSONValue {
        let priority = choice.encoderPriority
        var out: [String: JSONValue] = [
            "board": choice.id.map(JSONValue.string) ?? .null,
            "name": choice.profile.map { .string($0.name) } ?? .null,
            "variant": choice.variant.map { .string($0.id) } ?? .null,
            "reasons": .array(choice.reasons.map(JSONValue.string)),
            "also_matched": .array(choice.alsoMatched.map(JSONValue.string)),
            "encoder_priority": .array(priority.order.map { .string($0.rawValue) }),
            "unavailable_encoders": .array(priority.unavailable.map(JSONValue.string)),
            "encoder_notes": choice.profile.map { .string($0.encoderNotes) } ?? .null,
            "advised_cameras": choice.advisedCameras.map { .int(Int64($0)) } ?? .null,
            "udev_rules": .array((choice.profile?.udevRules ?? []).map(JSONValue.string)),
            "notes": .array(choice.notes.map(JSONValue.string)),
            "health": report.json,
        ]
        out["recording"] = choice.recording.map { r in
            .object(["segment_seconds": .int(Int64(r.segmentSeconds)), "retain_days": .int(Int64(r.retainDays)),
                     "min_free_percent": .int(Int64(r.minFreePercent))])
        } ?? .null
        out["facts"] = .object([
            "architecture": .string(facts.architecture),
            "device_tree_model": facts.deviceTreeModel.map(JSONValue.string) ?? .null,
            "device_tree_compatible": .array(facts.deviceTreeCompatible.map(JSONValue.string)),
            "dmi": .object(facts.dmi.mapValues(JSONValue.string)),
            "cpu_model": facts.cpuModel.map(JSONValue.string) ?? .null,
        ])
        return .object(out)
    }

    static func text(_ choice: BoardChoice, report: DeviceReport) -> String {
        var lines: [String] = []
        if let profile = choice.profile {
            lines.append("board: \(profile.id) (\(profile.name))" + (choice.variant.map { ", variant \($0.id) (\($0.name))" } ?? ""))
        } else {
            lines.append("board: no profile")
        }
        lines.append("why:")
        lines += choice.reasons.map { "  \($0)" }
        if !choice.alsoMatched.isEmpty { lines.append("  also matched (weaker): \(choice.alsoMatched.joined(separator: ", "))") }
        let priority = choice.encoderPriority
        lines.append("encoders, in order (only those `camgate detect` proves are used): \(priority.order.map(\.rawValue).joined(separator: ", "))")
        if !priority.unavailable.isEmpty { lines.append("  not in this build: \(priority.unavailable.joined(separator: ", "))") }
        if let notes = choice.profile?.encoderNotes, !notes.isEmpty { lines.append("  \(notes)") }
        if let r = choice.recording {
            lines.append("recording defaults: \(r.segmentSeconds) s segments, kept \(r.retainDays) days, \(r.minFreePercent) % kept free")
        }
        if let n = choice.advisedCameras { lines.append("advised cameras: \(n)") }
        lines += DeviceReport.text(of: report.json)
        lines += choice.notes.map { "note: \($0)" }
        return lines.joined(separator: "\n")
    }
}
