import ArgumentParser
import CamgateCore
import OTA
import Platform
import Updater

/// The root side of the cloud's `ota_update` (docs/ota.md, "Updates from
/// the cloud"): `camgate-ota-apply.path` starts this, as root and from the
/// committed binary, when the agent wrote DATA/ota-request.json. The
/// request is taken (read without following links, then removed), the
/// release at its URL verified and staged as `ota apply URL` does, with
/// the command id in the record; a refusal goes to DATA/ota-result.json
/// for the agent to ack.
struct OTARequest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request",
        abstract: "Take the agent's update request (camgate-ota-apply.path, as root): verify and stage the release it names, or write why not.")

    @OptionGroup var device: OTADeviceOptions
    @OptionGroup var data: DataDirectoryOptions
    @OptionGroup var trial: TrialOptions
    @Option(name: .long, help: ArgumentHelp("systemctl to restart the service with.", visibility: .hidden)) var systemctl: String?

    func run() async throws {
        let spool = UpdateSpool(dataDirectory: FileSystem.absolute(data.dataDir))
        guard FileSystem.exists(spool.requestFile) || (try? FileSystem.readLink(spool.requestFile)) != nil else {
            print("ota request: no request waiting")
            return
        }
        let request: UpdateRequest
        do { request = try spool.take() } catch {
            // Without a readable command id there is no one to answer: said here, in the journal.
            throw refuse(error.refusal)
        }
        print("ota request: command \(request.commandID) asks for \(request.version) from \(Redactor.redactURL(request.manifestURL))")
        let staging = ReleaseStaging(device: device, data: data, trial: trial, systemctl: systemctl)
        do {
            try await staging.stage(ReleaseFiles(manifest: request.manifestURL), expecting: request.version, commandID: request.commandID)
                .forEach { print($0) }
        } catch {
            let refused = (error as? UpdateRefusal) ?? UpdateRefusal(.ioError, "\(error)")
            let result = UpdateRequestResult(commandID: request.commandID, code: refused.code.rawValue, message: refused.message,
                                             at: WallClock.nowMilliseconds())
            do { try spool.writeResult(result) } catch { printError("camgate: error: \(error)") }
            throw refuse(refused)
        }
    }
}
