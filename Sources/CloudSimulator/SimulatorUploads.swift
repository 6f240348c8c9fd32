import CamgateCore
import CloudLink
import ObjectStore

/// The simulator's side of `POST /v1/devices/{id}/uploads`: it presigns
/// for a real S3 endpoint (moto in tests) as a cloud would, under the
/// device's own rule (one PUT up to 8 MiB, 8 MiB parts above), with the
/// recommended key `<prefix>/<device>/<camera>/<YYYY>/<MM>/<DD>/<file>`.
///
/// Faults: `upload_statuses` answers the next requests with those statuses;
/// `expire_uploads` signs the next N answers two hours in the past (one-hour
/// URLs): S3 refuses them with 403 although `expires_at` says they are
/// valid — a cloud whose clock is wrong, which S3 itself catches (the
/// S3 fixture enforces X-Amz-Date + X-Amz-Expires as S3 does).
struct SimulatorUploads: Sendable {
    let presigner: S3Presigner
    let prefix: String
    let transport: HTTPTransport

    struct Answer: Sendable {
        var status: Int
        var body: JSONValue
    }

    func answer(_ json: JSONValue?, device: String, signedAtMs: Int64, nowMs: Int64) async -> Answer {
        let request: UploadTargetRequest
        do { request = try UploadTargetRequest(json: json ?? .null) } catch {
            return Answer(status: 400, body: .object(["error": .string("\(error)")]))
        }
        let key: ObjectKey
        do {
            key = try ObjectKey(prefix: prefix, device: device, camera: request.camera, startMs: request.startMs, file: request.file)
        } catch {
            return Answer(status: 400, body: .object(["error": .string("\(error)")]))
        }
        do {
            var target: UploadTarget
            switch try UploadPlan.forFile(size: request.size) {
            case .single:
                target = presigner.putTarget(key: key.rawValue, nowMs: signedAtMs)
            case .multipart(let plan):
                // Created now (the simulator's own request); only the device's URLs carry `signedAtMs`.
                var id = request.uploadID ?? ""
                if request.uploadID == nil { id = try await presigner.createMultipartUpload(key: key.rawValue, transport: transport, nowMs: nowMs) }
                target = presigner.partsTarget(key: key.rawValue, uploadID: id, size: request.size, partSize: plan.partSize,
                                               parts: request.uploadID == nil ? nil : request.parts, nowMs: signedAtMs)
            }
            target.expiresAtMs = nowMs + presigner.expiresSeconds * 1000
            return Answer(status: 200, body: target.json)
        } catch {
            return Answer(status: 502, body: .object(["error": .string("the object store did not answer: \(error)")]))
        }
    }
}

