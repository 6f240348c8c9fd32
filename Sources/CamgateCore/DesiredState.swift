/// What the agent should be doing: the cameras, what each one is for, the
/// recording policy and the upload policy. It comes from the config file (standalone) or from
/// the cloud (`desired` events), is stored with its revision before it is
/// applied, and is restored from the store at boot (offline first).
public struct DesiredState: Hashable, Sendable {
    public var revision: Int64
    public var cameras: [CameraID: CameraSpec]
    public var recording: RecordingPolicy
    /// What is uploaded to object storage (issue 12); nothing by default.
    public var upload: UploadPolicy

    public init(revision: Int64 = 0, cameras: [CameraID: CameraSpec] = [:], recording: RecordingPolicy = RecordingPolicy(),
                upload: UploadPolicy = UploadPolicy()) {
        self.revision = revision
        self.cameras = cameras
        self.recording = recording
        self.upload = upload
    }

    /// Cameras in a stable order.
    public var sortedCameras: [(id: CameraID, spec: CameraSpec)] {
        cameras.keys.sorted().map { ($0, cameras[$0]!) }
    }
}

/// One camera's desired configuration.
public struct CameraSpec: Hashable, Sendable {
    public var source: CameraSource
    /// Record continuously (segments, retention).
    public var record: Bool
    /// Offer live viewing through MediaMTX.
    public var view: Bool
    public var video: VideoSettings
    /// An RTMP destination the camera is restreamed to (seeds/001).
    public var restream: Restream?
    /// Motion events from the recorder (issue 13); off by default.
    public var motion: MotionSettings

    public init(source: CameraSource, record: Bool = false, view: Bool = false, video: VideoSettings = VideoSettings(), restream: Restream? = nil,
                motion: MotionSettings = MotionSettings()) {
        self.source = source
        self.record = record
        self.view = view
        self.video = video
        self.restream = restream
        self.motion = motion
    }
}

/// How a camera's video is encoded when it has to be.
public struct VideoSettings: Hashable, Sendable {
    /// Output frame size; nil keeps the source's.
    public var size: Resolution?
    /// Output frame rate; nil keeps the source's.
    public var fps: Int?
    public var encoder: EncoderChoice
    /// Target bitrate; nil lets the encoder pick a quality-based rate.
    public var bitrateKbps: Int?

    public init(size: Resolution? = nil, fps: Int? = nil, encoder: EncoderChoice = .auto, bitrateKbps: Int? = nil) {
        self.size = size
        self.fps = fps
        self.encoder = encoder
        self.bitrateKbps = bitrateKbps
    }
}

/// Which encoder a camera asks for. `auto` takes the best proven one, and
/// `copy` keeps an H.264 source's packets untouched.
public enum EncoderChoice: String, Hashable, Sendable, CaseIterable {
    case auto, copy, software, nvenc, qsv, vaapi, v4l2m2m
}

/// An RTMP restream destination.
public struct Restream: Hashable, Sendable {
    public var url: String

    public init(url: String) throws(ConfigurationError) {
        try SourceValidation.checkURL(url, schemes: ["rtmp", "rtmps"])
        self.url = url
    }
}

/// Segment length and retention.
public struct RecordingPolicy: Hashable, Sendable {
    public static let segmentRange: ClosedRange<Int64> = 2...86_400

    /// Length of one recording file; 1800 s (30 min) by default.
    public var segmentSeconds: Int
    /// Finished segments older than this are deleted; 0 keeps them forever.
    public var retainDays: Int
    /// Oldest finished segments are deleted while the recordings file system
    /// has less than this share free.
    public var minFreePercent: Int

    public init(segmentSeconds: Int = 1800, retainDays: Int = 14, minFreePercent: Int = 10) {
        self.segmentSeconds = segmentSeconds
        self.retainDays = retainDays
        self.minFreePercent = minFreePercent
    }
}
