import CamgateCore
import CloudLink
import HTTPClient
import Media
import Platform

/// Commands that make files: `snapshot` (taken, optionally PUT to a
/// presigned URL) and `upload_recording` (segments queued for the uploader).
extension CloudBridge {
    /// `snapshot`: a JPEG of a known camera under DATA/snapshots, named by
    /// time and command id; with `args.upload_url`, PUT there too.
    func snapshot(_ camera: CameraID, _ command: Command) async -> (Report.AckStatus, String, JSONValue?) {
        let name = "\(Timestamp.rfc3339(milliseconds: WallClock.nowMilliseconds()).filter { $0 != ":" && $0 != "-" })-\(String(command.id.unicodeScalars.filter { $0.properties.isAlphabetic || ("0"..."9").contains($0) }.prefix(32)))"
        let output = "\(layout.root)/snapshots/\(camera)/\(name).jpg"
        do {
            let shot = try await agent.snapshot(camera, output: output)
            var result: [String: JSONValue] = ["file": .string(shot.file), "bytes": .int(shot.bytes),
                                               "taken_at": .string(Timestamp.rfc3339(milliseconds: shot.takenAtMs)), "method": .string(shot.method)]
            if let url = command.args["upload_url"]?.stringValue {
                do {
                    try await upload(file: shot.file, to: url)
                    result["uploaded"] = .bool(true)
                } catch {
                    result["uploaded"] = .bool(false)
                    return (.failed, "snapshot taken (\(shot.bytes) bytes) but the upload failed: \(error)", .object(result))
                }
            }
            return (.succeeded, "snapshot \(shot.bytes) bytes at \(Timestamp.rfc3339(milliseconds: shot.takenAtMs))", .object(result))
        } catch {
            return (.failed, "\(error)", nil)
        }
    }

    /// `upload_recording`: queues the finished segments of the camera that
    /// overlap [from, to) and are still on disk; acknowledged once queued.
    func queueUploads(_ command: Command) async -> (Report.AckStatus, String, JSONValue?) {
        let desired = await agent.desiredState
        guard desired.upload.isEnabled else { return (.rejected, "upload.mode is none: nothing is uploaded", nil) }
        guard let camera = command.camera, desired.cameras[camera] != nil else { return (.rejected, "upload_recording needs a known camera", nil) }
        guard let from = command.args["from"]?.stringValue.flatMap(Timestamp.parseRFC3339),
              let to = command.args["to"]?.stringValue.flatMap(Timestamp.parseRFC3339) else {
            return (.rejected, "args.from and args.to must be RFC 3339 times", nil)
        }
        guard to > from else { return (.rejected, "args.to must be after args.from", nil) }
        do {
            let counts = try await agent.queueRecordings(camera: camera, fromMs: from, toMs: to)
            let result = JSONValue.object(["queued": .int(Int64(counts.queued)), "already_uploaded": .int(Int64(counts.alreadyUploaded)),
                                           "missing": .int(Int64(counts.missing))])
            return (.succeeded, "queued \(counts.queued) segments (\(counts.alreadyUploaded) already uploaded, \(counts.missing) missing)", result)
        } catch {
            return (.failed, "cannot queue the segments: \(error)", nil)
        }
    }

    /// PUTs a file to a (pre-signed) URL: https, or http on loopback.
    func upload(file: String, to url: String) async throws {
        let endpoint = try Endpoint(parsing: url)
        let bytes = try FileSystem.read(file, limit: 64 << 20)
        let (status, _) = try await transport.send(HTTPRequest(method: .PUT, endpoint: endpoint,
                                                               headers: [("Content-Type", "image/jpeg")], body: bytes))
        guard (200..<300).contains(status) else { throw Snapshotter.Failure(description: "upload answered HTTP \(status)") }
    }
}
