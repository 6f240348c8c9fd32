#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CamgateCore
import CHardware
import Media
import Platform

/// Finds the encoders of the machine: every backend is considered and
/// reported — usable only after a trial encode, otherwise with the reason
/// (no device node, driver missing, libva error, trial failure).
public struct EncoderProbe: Sendable {
    public var devRoot: String
    /// The real trial (its timeout is set by `camgate detect`).
    public var trial: TrialEncoder
    /// What decides instead of `trial` (tests: a fixed outcome).
    var trialOverride: (any EncoderTrial)?
    public var driverDirectories: [String]

    public init(devRoot: String = "/dev", trial: TrialEncoder,
                driverDirectories: [String] = ["/usr/lib/x86_64-linux-gnu/dri", "/usr/lib/aarch64-linux-gnu/dri", "/usr/lib/arm-linux-gnueabihf/dri", "/usr/lib/dri"]) {
        self.devRoot = devRoot
        self.trial = trial
        self.driverDirectories = driverDirectories
    }

    /// A probe whose trial encodes are decided by `outcome` (the seam the
    /// decision is tested through: trial succeeds → usable, fails → not).
    init(devRoot: String, outcome: any EncoderTrial, driverDirectories: [String] = []) {
        self.init(devRoot: devRoot, trial: TrialEncoder(ffmpeg: "/nonexistent/ffmpeg"), driverDirectories: driverDirectories)
        trialOverride = outcome
    }

    /// All candidates, trial encodes run in parallel.
    public func probe(m2mNodes: [V4L2Node]) async -> [EncoderCandidate] {
        let renderNodes = ((try? FileSystem.list("\(devRoot)/dri")) ?? []).filter { $0.hasPrefix("renderD") }.sorted().map { "\(devRoot)/dri/\($0)" }
        var pending: [(EncoderCandidate, VideoEncoder?)] = []
        pending += nvencCandidates()
        pending += vaapiAndQSVCandidates(renderNodes)
        pending += m2mCandidates(m2mNodes)
        pending.append((EncoderCandidate(backend: .software, device: "-", usable: false, reason: ""), .software))

        let trial: any EncoderTrial = trialOverride ?? trial
        return await withTaskGroup(of: (Int, String?).self) { group in
            var results = pending.map(\.0)
            for (index, (_, encoder)) in pending.enumerated() {
                guard let encoder else { continue }
                group.addTask { (index, await trial.run(encoder)) }
            }
            for await (index, failure) in group {
                if let encoder = pending[index].1 { results[index] = EncoderProbe.decide(results[index], encoder: encoder, trialFailure: failure) }
            }
            return results.sorted { ($0.backend, $0.device) < ($1.backend, $1.device) }
        }
    }

    /// The decision: a candidate is usable exactly when its trial encode
    /// succeeded; otherwise the trial's reason is why not.
    static func decide(_ candidate: EncoderCandidate, encoder: VideoEncoder, trialFailure: String?) -> EncoderCandidate {
        var result = candidate
        if let trialFailure {
            result.usable = false
            result.reason = trialFailure
            result.encoder = nil
        } else {
            result.usable = true
            result.reason = "trial encode succeeded"
            result.encoder = encoder
        }
        return result
    }

    // MARK: - NVENC

    func nvencCandidates() -> [(EncoderCandidate, VideoEncoder?)] {
        let nodes = ((try? FileSystem.list(devRoot)) ?? []).filter { $0.hasPrefix("nvidia") && Int($0.dropFirst(6)) != nil }.sorted()
        guard let first = nodes.first else {
            return [(EncoderCandidate(backend: .nvenc, device: "-", usable: false, reason: "no NVIDIA device (no \(devRoot)/nvidia[0-9] node)"), nil)]
        }
        let device = "\(devRoot)/\(first)"
        guard FileSystem.exists("\(devRoot)/nvidiactl") else {
            return [(EncoderCandidate(backend: .nvenc, device: device, usable: false, reason: "\(devRoot)/nvidiactl is missing (NVIDIA driver not loaded)"), nil)]
        }
        guard let handle = dlopen("libnvidia-encode.so.1", RTLD_NOW | RTLD_LOCAL) else {
            let error = dlerror().map { String(cString: $0) } ?? "not found"
            return [(EncoderCandidate(backend: .nvenc, device: device, usable: false, reason: "libnvidia-encode.so.1 cannot be loaded: \(error)"), nil)]
        }
        dlclose(handle)
        return [(EncoderCandidate(backend: .nvenc, device: device, usable: false, reason: ""), .nvenc)]
    }

    // MARK: - VA-API and QSV

    func vaapiAndQSVCandidates(_ renderNodes: [String]) -> [(EncoderCandidate, VideoEncoder?)] {
        guard !renderNodes.isEmpty else {
            let (libva, message) = VAAPIInfo.libvaAvailable()
            let reason = "no VAAPI device (no \(devRoot)/dri/renderD* node; " + (libva ? "libva is installed)" : "libva is not installed: \(message))")
            return [(EncoderCandidate(backend: .vaapi, device: "-", usable: false, reason: reason), nil),
                    (EncoderCandidate(backend: .qsv, device: "-", usable: false, reason: "no Intel render node (no \(devRoot)/dri/renderD* node)"), nil)]
        }
        var out: [(EncoderCandidate, VideoEncoder?)] = []
        for node in renderNodes {
            let info = VAAPIInfo.probe(node)
            switch info.status {
            case .ok:
                let details = "vendor: \(info.vendor); VA-API \(info.version); H.264 encode: \(info.h264.description); HEVC encode: \(info.hevc.description)"
                if info.h264.isEmpty {
                    out.append((EncoderCandidate(backend: .vaapi, device: node, usable: false, reason: "the VA-API driver offers no H.264 encode entrypoint", details: details), nil))
                } else {
                    out.append((EncoderCandidate(backend: .vaapi, device: node, usable: false, reason: "", details: details), .vaapi(device: node, lowPower: info.h264 == .lowPower)))
                }
                if info.vendor.contains("iHD") || info.vendor.lowercased().contains("intel") && hasDriver("iHD_drv_video.so") {
                    out.append((EncoderCandidate(backend: .qsv, device: node, usable: false, reason: "", details: details), .qsv(device: node)))
                } else {
                    out.append((EncoderCandidate(backend: .qsv, device: node, usable: false, reason: "not an Intel iHD device (VA-API vendor: \(info.vendor))"), nil))
                }
            case .failed(let reason):
                out.append((EncoderCandidate(backend: .vaapi, device: node, usable: false, reason: reason), nil))
                out.append((EncoderCandidate(backend: .qsv, device: node, usable: false, reason: reason), nil))
            }
        }
        return out
    }

    func hasDriver(_ name: String) -> Bool {
        driverDirectories.contains { FileSystem.exists("\($0)/\(name)") }
    }

    // MARK: - V4L2 M2M

    func m2mCandidates(_ nodes: [V4L2Node]) -> [(EncoderCandidate, VideoEncoder?)] {
        // An M2M *encoder* produces H.264 on its capture queue.
        let encoders = nodes.filter { $0.kind == .memoryToMemory && $0.formats.contains { $0.format == .h264 } }
        guard let node = encoders.first else {
            return [(EncoderCandidate(backend: .v4l2m2m, device: "-", usable: false, reason: "no V4L2 memory-to-memory H.264 encoder node"), nil)]
        }
        return [(EncoderCandidate(backend: .v4l2m2m, device: node.path, usable: false, reason: "", details: "\(node.driver) \(node.card)"), .v4l2m2m)]
    }
}

/// VA-API facts about one render node, through libva (see CHardware).
public struct VAAPIInfo: Sendable {
    public enum Status: Sendable, Equatable {
        case ok
        case failed(String)
    }

    public struct Entrypoints: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let slice = Entrypoints(rawValue: CAMGATE_VAAPI_ENC_SLICE)
        public static let lowPower = Entrypoints(rawValue: CAMGATE_VAAPI_ENC_SLICE_LP)

        public var description: String {
            var names: [String] = []
            if contains(.slice) { names.append("EncSlice") }
            if contains(.lowPower) { names.append("EncSliceLP") }
            return names.isEmpty ? "none" : names.joined(separator: "+")
        }
    }

    public var status: Status
    public var vendor: String
    public var version: String
    public var h264: Entrypoints
    public var hevc: Entrypoints

    public static func probe(_ node: String, driver: String? = nil) -> VAAPIInfo {
        var result = camgate_vaapi_result()
        if let driver {
            driver.withCString { camgate_vaapi_probe(node, $0, &result) }
        } else {
            camgate_vaapi_probe(node, nil, &result)
        }
        let message = V4L2Probe.string(from: result.message)
        let status: Status
        switch Int32(result.status) {
        case Int32(CAMGATE_VAAPI_OK.rawValue): status = .ok
        case Int32(CAMGATE_VAAPI_NO_LIBVA.rawValue): status = .failed("libva is not installed: \(message)")
        case Int32(CAMGATE_VAAPI_OPEN_FAILED.rawValue): status = .failed("cannot open \(node): \(message)")
        case Int32(CAMGATE_VAAPI_NO_DISPLAY.rawValue): status = .failed("no VA display on \(node): \(message)")
        default: status = .failed("vaInitialize on \(node) failed: \(message)")
        }
        return VAAPIInfo(status: status, vendor: V4L2Probe.string(from: result.vendor), version: "\(result.major).\(result.minor)",
                         h264: Entrypoints(rawValue: result.h264_encode), hevc: Entrypoints(rawValue: result.hevc_encode))
    }

    /// Whether libva itself can be loaded, and why not.
    public static func libvaAvailable() -> (Bool, String) {
        var buffer = [CChar](repeating: 0, count: 256)
        let ok = camgate_vaapi_available(&buffer, UInt(buffer.count)) == 1
        return (ok, String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
}
