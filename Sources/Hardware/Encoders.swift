#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CamgateCore
import CHardware
import Media
import Platform

/// One encoder considered by the probe: usable only when its trial encode
/// succeeded; otherwise the reason says why not.
public struct EncoderCandidate: Hashable, Sendable {
    public var backend: EncoderBackend
    /// The device it runs on ("-" when none applies).
    public var device: String
    public var codec: String
    public var usable: Bool
    public var reason: String
    /// What the agent passes to ffmpeg when it is usable.
    public var encoder: VideoEncoder?
    /// Extra facts (VA-API vendor, HEVC support…).
    public var details: String?

    public init(backend: EncoderBackend, device: String, codec: String = "h264", usable: Bool, reason: String,
                encoder: VideoEncoder? = nil, details: String? = nil) {
        self.backend = backend
        self.device = device
        self.codec = codec
        self.usable = usable
        self.reason = reason
        self.encoder = encoder
        self.details = details
    }

    public var json: JSONValue {
        var fields: [String: JSONValue] = ["backend": .string(backend.rawValue), "device": .string(device), "codec": .string(codec),
                                           "usable": .bool(usable), "reason": .string(reason)]
        if let details { fields["details"] = .string(details) }
        if let encoder { fields["encoder"] = .string(encoder.argument) }
        return .object(fields)
    }

    public init?(json: JSONValue) {
        guard let backend = json["backend"]?.stringValue.flatMap(EncoderBackend.init(rawValue:)), let device = json["device"]?.stringValue,
              case .bool(let usable)? = json["usable"] else { return nil }
        self.init(backend: backend, device: device, codec: json["codec"]?.stringValue ?? "h264", usable: usable,
                  reason: json["reason"]?.stringValue ?? "",
                  encoder: usable ? json["encoder"]?.stringValue.flatMap(VideoEncoder.init(argument:)) ?? EncoderCandidate.encoder(backend, device) : nil,
                  details: json["details"]?.stringValue)
    }

    static func encoder(_ backend: EncoderBackend, _ device: String) -> VideoEncoder {
        switch backend {
        case .nvenc: .nvenc
        case .qsv: .qsv(device: device)
        case .vaapi: .vaapi(device: device)
        case .v4l2m2m: .v4l2m2m
        case .software: .software
        }
    }
}

/// What proves an encoder works: nil when it does, the reason otherwise.
/// The agent's is `TrialEncoder` (real ffmpeg runs); tests give the probe
/// a fixed outcome to check the decision both ways on any machine.
public protocol EncoderTrial: Sendable {
    func run(_ encoder: VideoEncoder) async -> String?
}

extension TrialEncoder: EncoderTrial {}

/// Proves an encoder by encoding a few synthetic frames with the exact
/// arguments the recorder would use. Listing an encoder in `ffmpeg
/// -encoders` proves nothing (Debian's ffmpeg lists h264_nvenc, h264_qsv and
/// h264_vaapi everywhere). A trial that hangs is killed with its process
/// group at the deadline.
public struct TrialEncoder: Sendable {
    public var ffmpeg: String
    public var timeout: Duration
    /// The input (lavfi by default; tests use one that never delivers).
    public var input: [String]

    public init(ffmpeg: String, timeout: Duration = .seconds(5),
                input: [String] = ["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=15"]) {
        self.ffmpeg = ffmpeg
        self.timeout = timeout
        self.input = input
    }

    public static let hungPrefix = "trial encode hung"

    /// The two shapes of the recorder's encode: a quality target (a camera
    /// with no bitrate: `-crf` / `-qp` / `-global_quality` / `-cq`), and a
    /// bitrate with scaling and a rate change (`-b:v`/CBR, `scale_vaapi`,
    /// `scale_qsv`, `fps`), as cameras with `video` limits and the
    /// on-demand variants use. Both must work.
    public static let shapes: [(name: String, settings: VideoSettings)] = [
        ("quality", VideoSettings()),
        ("bitrate and scaling", VideoSettings(size: Resolution(width: 320, height: 180), fps: 10, bitrateKbps: 500)),
    ]

    public func arguments(_ encoder: VideoEncoder, settings: VideoSettings = VideoSettings()) -> [String] {
        ["-hide_banner", "-nostdin", "-nostats", "-loglevel", "error"] + EncoderArguments.hardwareInit(encoder) + input
            + ["-frames:v", "10"] + EncoderArguments.video(encoder, settings: settings, sourceFPS: 15) + ["-f", "null", "-"]
    }

    /// nil when the encoder works in every shape; the reason otherwise.
    public func run(_ encoder: VideoEncoder) async -> String? {
        await withTaskGroup(of: (Int, String?).self) { group in
            for (index, shape) in TrialEncoder.shapes.enumerated() {
                group.addTask { (index, await self.run(encoder, settings: shape.settings)) }
            }
            var failures: [Int: String] = [:]
            for await (index, failure) in group { if let failure { failures[index] = failure } }
            guard let index = failures.keys.min(), let failure = failures[index] else { return nil }
            return index == 0 ? failure : "\(failure) (with \(TrialEncoder.shapes[index].name))"
        }
    }

    func run(_ encoder: VideoEncoder, settings: VideoSettings) async -> String? {
        do {
            let result = try await Subprocess.run(ffmpeg, arguments(encoder, settings: settings), environment: FFmpegTools.environment,
                                                  timeout: timeout, outputLimit: 16 * 1024)
            if result.succeeded { return nil }
            if result.timedOut { return "\(TrialEncoder.hungPrefix) and was killed after \(timeout)" }
            let lines = result.text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
            let tail = lines.suffix(2).joined(separator: " | ")
            let exit = result.exitCode.map { "exit code \($0)" } ?? result.signal.map { "signal \($0)" } ?? "failed"
            return "trial encode failed (\(exit))" + (tail.isEmpty ? "" : ": \(Redactor.redact(String(tail.prefix(300))))")
        } catch {
            return "trial encode could not run: \(error)"
        }
    }
}
