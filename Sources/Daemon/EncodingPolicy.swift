import CamgateCore
import Hardware
import Media
import MediaMTX

/// How each camera is read and encoded, decided from the desired state and
/// the hardware inventory alone (pure: the agent and `camgate
/// mediamtx-config` share it, so the printed paths are the ones the agent
/// writes).
public struct EncodingPolicy: Sendable {
    public var inventory: Inventory?
    public var priority: [EncoderBackend]
    /// Cameras whose hardware encoder failed at run time: they use software.
    public var softwareFallback: Set<CameraID>

    public init(inventory: Inventory?, priority: [EncoderBackend] = EncoderBackend.defaultPriority, softwareFallback: Set<CameraID> = []) {
        self.inventory = inventory
        self.priority = priority
        self.softwareFallback = softwareFallback
    }

    /// The capture mode a V4L2 camera offers, and the encoder (`auto`: the
    /// best usable one by priority, software when none, copy for H.264
    /// sources).
    public func encoding(for id: CameraID, _ spec: CameraSpec) -> (encoder: VideoEncoder, capture: CaptureMode?) {
        var capture: CaptureMode?
        if case .v4l2(let device) = spec.source, let node = inventory?.node(for: device) {
            capture = CaptureChoice.choose(node, wanted: spec.video)
        }
        switch spec.video.encoder {
        case .copy:
            return (.copy, capture)
        case .auto where capture?.native == true, .auto where { if case .rtsp = spec.source { true } else { false } }():
            return (.copy, capture)
        default:
            break
        }
        if softwareFallback.contains(id) { return (.software, capture) }
        let wanted: [EncoderBackend]
        switch spec.video.encoder {
        case .software, .copy: return (.software, capture)
        case .auto: wanted = priority
        case .nvenc: wanted = [.nvenc]
        case .qsv: wanted = [.qsv]
        case .vaapi: wanted = [.vaapi]
        case .v4l2m2m: wanted = [.v4l2m2m]
        }
        return (inventory?.bestEncoder(priority: wanted)?.encoder ?? .software, capture)
    }

    /// The MediaMTX paths for `desired`: each camera's frame size (variants
    /// are offered below it) and the encoders its on-demand capture and its
    /// variants use.
    public func mediamtxPaths(_ desired: DesiredState, renderer: PathRenderer) throws(MediaMTXRenderError) -> [MediaMTXPath] {
        var sizes: [CameraID: Resolution] = [:]
        var encoders: [CameraID: (capture: String, transcode: String)] = [:]
        for (id, spec) in desired.cameras {
            let (capture, mode) = encoding(for: id, spec)
            if let size = spec.video.size {
                sizes[id] = size
            } else {
                switch spec.source {
                case .test(let pattern): sizes[id] = pattern.size
                case .v4l2: sizes[id] = mode?.size
                case .rtsp: break
                }
            }
            // A variant always encodes: a camera that is copied gets the best encoder.
            var transcoding = spec
            if transcoding.video.encoder == .copy { transcoding.video.encoder = .auto }
            var transcode = encoding(for: id, transcoding).encoder
            if transcode == .copy { transcode = inventory?.bestEncoder(priority: priority)?.encoder ?? .software }
            encoders[id] = (capture.argument, transcode.argument)
        }
        return try renderer.render(desired, sizes: sizes, encoders: encoders)
    }
}
