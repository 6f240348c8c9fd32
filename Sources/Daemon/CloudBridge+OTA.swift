import CamgateCore
import CloudLink
import HTTPClient
import OTA
import Platform
import Store
import Updater

/// The cloud's `ota_update` (docs/ota.md, "Updates from the cloud"). The
/// agent runs sandboxed with /usr/lib/camgate read-only, so it does not
/// stage: it checks the arguments and hands a request to the root side
/// (camgate-ota-apply.path runs the committed binary's `ota request`).
/// The command stays `running` across the restarts of the update; every
/// agent that runs meanwhile settles it from the updater's files.
extension CloudBridge {
    var updateSpool: UpdateSpool { UpdateSpool(dataDirectory: layout.root) }

    /// nil: handed over (acked later by `settleUpdates`); else the refusal to ack now.
    func startUpdate(_ command: Command) async -> (Report.AckStatus, String)? {
        guard let url = command.args["url"]?.stringValue, let versionText = command.args["version"]?.stringValue else {
            return (.rejected, "ota_update needs args.url (the release's manifest.json) and args.version")
        }
        do { _ = try Endpoint(parsing: url) } catch { return (.rejected, "ota_update args.url: \(error)") }
        guard let version = try? SoftwareVersion(parsing: versionText) else {
            return (.rejected, "ota_update args.version \(CameraID.quoted(versionText)) is not MAJOR.MINOR.PATCH")
        }
        let request: UpdateRequest
        do { request = try UpdateRequest(commandID: command.id, manifestURL: url, version: version, at: WallClock.nowMilliseconds()) } catch {
            return (.rejected, error.description)
        }
        do { try updateSpool.submit(request) } catch {
            return (error.refusal.code == .updateInProgress ? .rejected : .failed, error.description)
        }
        try? await store.markCommandRunning(command.id)
        updatesMayBeRunning = true
        try? await store.logEvent(.info, "command", "command \(command.id) (ota_update): \(version) requested from \(Redactor.redactURL(url))")
        return nil
    }

    /// Acks the running `ota_update` commands whose update ended (checked
    /// every few seconds by the cloud service while one may be running).
    public func settleUpdates() async {
        guard updatesMayBeRunning else { return }
        guard let unfinished = try? await store.unfinishedCommands() else { return }
        let running = unfinished.filter { $0.type == Command.Kind.otaUpdate.rawValue && $0.state == .running }
        guard !running.isEmpty else {
            updatesMayBeRunning = false
            return
        }
        let record: UpdateRecord? = if case .state(let state)? = try? StateFile(layout: InstallLayout(root: agent.options.installRoot)).read() {
            state.update
        } else { nil }
        let result = updateSpool.result(), waiting = FileSystem.exists(updateSpool.requestFile), now = WallClock.nowMilliseconds()
        for command in running {
            switch UpdateSettlement.decide(commandID: command.id, since: command.receivedAtMs, requestWaiting: waiting, result: result,
                                           record: record, now: now) {
            case .wait:
                continue
            case .succeeded(let detail, let version, let previous):
                await finish(command.id, .succeeded, detail, .object(["version": .string(version.description), "previous": .string(previous.description)]))
            case .failed(let code, let detail):
                if code == "not_taken" { try? FileSystem.remove(updateSpool.requestFile) }
                await finish(command.id, .failed, detail, .object(["code": .string(code)]))
            }
            try? await store.logEvent(.info, "command", "command \(command.id) (ota_update) finished")
        }
    }
}
