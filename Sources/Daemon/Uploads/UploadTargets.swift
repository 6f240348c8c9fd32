#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CamgateCore
import CloudLink
import ObjectStore

/// Where the uploader gets its presigned URLs: the cloud, or (standalone)
/// its own signer. The uploader cannot tell them apart.
public protocol UploadTargetSource: Sendable {
    func target(for request: UploadTargetRequest) async throws -> UploadTargetAnswer
}

/// The cloud presigns (`POST …/uploads`): the device holds no S3 keys.
public struct CloudUploadTargets: UploadTargetSource {
    let client: UploadTargetClient

    public init(configuration: CloudConfiguration, transport: HTTPTransport) {
        client = UploadTargetClient(transport: transport, uploads: configuration.endpoint.appending(path: "/v1/devices/\(configuration.deviceID)/uploads"),
                                    token: { configuration.readToken() })
    }

    public func target(for request: UploadTargetRequest) async throws -> UploadTargetAnswer {
        try await client.ask(request, nowMs: { WallClock.nowMilliseconds() })
    }
}

/// A standalone agent signs for itself (the config's `s3` block and its
/// 0600 credentials file), with the recommended key
/// `<prefix>/<device>/<camera>/<YYYY>/<MM>/<DD>/<file>`; `device` is the
/// host name (or `camgate` when it is not a safe key component).
public struct StandaloneUploadTargets: UploadTargetSource {
    let presigner: S3Presigner
    let prefix: String
    let device: String
    let transport: HTTPTransport

    public init(target: S3Target, transport: HTTPTransport) throws {
        let credentials = try S3Credentials.load(target.credentialsFile)
        presigner = S3Presigner(endpoint: try Endpoint(parsing: target.endpoint), bucket: target.bucket,
                                signer: SigV4(accessKeyID: credentials.accessKeyID, secretAccessKey: credentials.secretAccessKey, region: target.region))
        prefix = target.prefix
        device = StandaloneUploadTargets.hostName()
        self.transport = transport
    }

    public func target(for request: UploadTargetRequest) async throws -> UploadTargetAnswer {
        let key: ObjectKey
        do {
            key = try ObjectKey(prefix: prefix, device: device, camera: request.camera, startMs: request.startMs, file: request.file)
        } catch {
            return .refused("\(error)")
        }
        let target = try await presigner.target(key: key.rawValue, size: request.size, uploadID: request.uploadID, parts: request.parts,
                                                transport: transport, nowMs: WallClock.nowMilliseconds())
        return .target(target)
    }

    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "camgate" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return (try? ObjectKey.check(name, subject: "device")) != nil ? name : "camgate"
    }
}
