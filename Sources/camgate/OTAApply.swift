import ArgumentParser
import CamgateCore
import HTTPClient
import OTA
import Platform
import Updater

struct OTAApply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Verify a release and stage it for a trial: signature, sizes and digests, architecture, board, version, floor — before anything changes.",
        discussion: """
        Then the binary is decompressed (xz) into ROOT/usr/lib/camgate/VERSION/camgate, the \
        update recorded in the state file, and the service restarted; the unit's guard \
        switches to it and the trial begins (docs/ota.md). A refusal prints its code and \
        reason, exits 2 and leaves everything as it was.
        """
    )

    @Argument(help: "The release's manifest.json, a local file or an https:// URL (http:// on loopback); keys.json(.sig) and camgate-VERSION-ARCH.xz beside it.") var manifest: String
    @Option(name: .long, help: "The signing-keys bundle. Default: keys.json beside the manifest.") var bundle: String?
    @Option(name: .long, help: "The .xz payload. Default: camgate-VERSION-ARCH.xz beside the manifest.") var payload: String?
    @OptionGroup var device: OTADeviceOptions
    @OptionGroup var data: DataDirectoryOptions
    @OptionGroup var trial: TrialOptions
    @Flag(name: .long, help: "Stage only; the next start of the service begins the trial.") var noRestart = false
    @Option(name: .long, help: ArgumentHelp("systemctl to restart the service with.", visibility: .hidden)) var systemctl: String?

    func run() async throws {
        let staging = ReleaseStaging(device: device, data: data, trial: trial, systemctl: systemctl, noRestart: noRestart)
        do {
            try await staging.stage(ReleaseFiles(manifest: manifest, bundle: bundle, payload: payload)).forEach { print($0) }
        } catch let refused as UpdateRefusal {
            throw refuse(refused)
        }
    }
}

/// Verify, admit, download (for a URL), stage and restart: `ota apply`
/// for an operator, `ota request` for the cloud's command.
struct ReleaseStaging {
    let device: OTADeviceOptions
    let data: DataDirectoryOptions
    let trial: TrialOptions
    var systemctl: String?
    var noRestart = false

    /// The lines to print once staged; a refusal (or a failed action) is thrown as `UpdateRefusal`.
    /// `expecting`: the version the cloud's command named; `commandID` goes into the record.
    func stage(_ given: ReleaseFiles, expecting: SoftwareVersion? = nil, commandID: String? = nil) async throws -> [String] {
        let applier = try device.applier()
        let cloud = (try? await LocalAPIHealth.get(data, "/api/v1/cloud"))??["connected"] == .bool(true)
        var files = given
        var download: ReleaseDownload?
        if given.manifest.contains("://") {
            do { download = try ReleaseDownload(layout: device.layout) } catch { throw UpdateRefusal(.ioError, "cannot prepare the download: \(error)") }
            files = try await fetch(download!, applier, url: given.manifest, expecting: expecting)
        }
        let result = Result { () throws(UpdateError) in
            return try applier.apply(files, policy: trial.policy, cloudWasReachable: cloud, commandID: commandID, now: WallClock.nowMilliseconds)
        }
        await download?.clean(keepPart: false)
        let staged: UpdateApplier.Staged
        switch result {
        case .success(let s): staged = s
        case .failure(let error): throw error.refusal
        }
        var lines = ["staged \(staged.manifest.version) at \(staged.binary) (replaces \(staged.previous)); trial: healthy within \(trial.deadline) s"]
        let report = ActionPerformer(layout: device.layout, restarter: device.restarter(systemctl: systemctl, noRestart: noRestart, data: data))
            .perform(staged.actions)
        lines += report.lines
        if let failure = report.failures.first {
            lines.forEach { print($0) }
            throw failure.refusal
        }
        return lines
    }

    static func expect(_ version: SoftwareVersion, _ m: Manifest) throws(UpdateError) {
        guard m.version == version else {
            throw UpdateError(UpdateRefusal(.versionMismatch, "the command asked for \(version), the manifest is \(m.version)"))
        }
    }

    /// The documents, the chain and admission, then the payload: a release
    /// this device refuses is never downloaded whole.
    func fetch(_ download: ReleaseDownload, _ applier: UpdateApplier, url: String, expecting: SoftwareVersion?) async throws -> ReleaseFiles {
        var keepPart = false
        do {
            let files = try await download.documents(url)
            guard case .state(let state) = try StateFile(layout: device.layout).read() else {
                throw UpdateRefusal(.ioError, "the OTA state file does not parse; `camgate ota status` says why")
            }
            let admitted = Result { () throws(UpdateError) in try applier.admit(files, state: state) }
            if case .failure(let error) = admitted { throw error.refusal }
            let m = try admitted.get().0
            if let expecting { do { try Self.expect(expecting, m) } catch { throw error.refusal } }
            keepPart = true
            try await download.payload(m, manifestURL: url, files: files)
            return files
        } catch {
            let refusal = (error as? UpdateRefusal) ?? (error as? UpdateError)?.refusal
            // A refused release leaves nothing; a download cut off keeps its part for the next try.
            await download.clean(keepPart: keepPart && refusal == nil)
            throw refusal ?? UpdateRefusal(.ioError, "downloading \(Redactor.redactURL(url)): \(HTTPTransport.describe(error))")
        }
    }
}

/// The trial's numbers, written into the record at staging.
struct TrialOptions: ParsableArguments {
    @Option(name: .long, help: "Seconds from the first start for the new version to become healthy.") var deadline: Int64 = 120
    @Option(name: .long, help: ArgumentHelp("Seconds a run must last before a healthy report commits it.", visibility: .hidden)) var minimumRun: Int64 = 12
    @Option(name: .long, help: ArgumentHelp("A failed exit this soon after a start rolls back at once (seconds).", visibility: .hidden)) var exitWindow: Int64 = 5
    @Option(name: .long, help: ArgumentHelp("Seconds after a crash with no restart before rolling back.", visibility: .hidden)) var restartGrace: Int64 = 30

    func validate() throws {
        guard (1...3600).contains(deadline), (0...3600).contains(minimumRun), (0...60).contains(exitWindow), (1...3600).contains(restartGrace) else {
            throw ValidationError("--deadline is 1 to 3600 s, --minimum-run 0 to 3600, --exit-window 0 to 60, --restart-grace 1 to 3600")
        }
    }

    var policy: TrialPolicy {
        TrialPolicy(healthyDeadline: deadline * 1000, minimumRun: minimumRun * 1000, exitedAtOnceWindow: exitWindow * 1000,
                    restartGrace: restartGrace * 1000)
    }
}

struct OTAStatus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "The installed, committed and previous versions, the floor, the bad versions and the last update's outcome.")

    @OptionGroup var device: OTADeviceOptions
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() throws {
        let layout = device.layout
        var out: [String: JSONValue] = [:]
        for link in InstallLayout.Link.allCases {
            out[link.rawValue] = layout.version(link).map { .string($0.description) } ?? .null
        }
        out["binary_version"] = .string(CamgateCore.version)
        let reading: StateFile.Reading
        do { reading = try StateFile(layout: layout).read() } catch { throw fail("\(error)", code: 1) }
        switch reading {
        case .unreadable(let refused):
            out["state_error"] = .string(refused.description)
        case .state(let state):
            out["floor"] = state.floor.map { .string($0.description) } ?? .null
            out["bad_versions"] = .array(state.badVersions.sorted().map { .string($0.description) })
            out["key_bundle_serial"] = .int(state.keyBundleSerial)
            out["update"] = state.update?.json ?? .null
        }
        print(json ? JSONValue.object(out).serialized() : OTAStatusText.text(out))
    }
}

enum OTAStatusText {
    static func text(_ s: [String: JSONValue]) -> String {
        func v(_ key: String) -> String { s[key]?.stringValue ?? "none" }
        var lines = ["running (current): \(v("current"))", "committed: \(v("committed"))", "previous: \(v("previous"))",
                     "floor: \(v("floor"))"]
        let bad: [String] = if case .array(let items)? = s["bad_versions"] { items.compactMap(\.stringValue) } else { [] }
        lines.append("bad versions: \(bad.isEmpty ? "none" : bad.joined(separator: ", "))")
        if let error = s["state_error"]?.stringValue { lines.append("state file: \(error)") }
        guard let u = s["update"], u != .null else { return (lines + ["last update: none"]).joined(separator: "\n") }
        let phase = u["phase"]?.stringValue ?? "?"
        var last = "last update: \(u["candidate"]?.stringValue ?? "?") \(phase)"
        if let reason = u["rollback_reason"]?.stringValue { last += " (\(reason))" }
        if u["ack_pending"] == .bool(true) { last += ", not yet acknowledged to the cloud" }
        return (lines + [last]).joined(separator: "\n")
    }
}
