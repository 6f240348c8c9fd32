import Platform

/// The ffmpeg and ffprobe programs the agent runs.
public struct FFmpegTools: Hashable, Sendable {
    public var ffmpeg: String
    public var ffprobe: String

    public init(ffmpeg: String, ffprobe: String) {
        self.ffmpeg = ffmpeg
        self.ffprobe = ffprobe
    }

    /// Finds both on PATH; nil names the missing one.
    public static func locate(searchPath: String? = nil) -> Result<FFmpegTools, MissingTool> {
        guard let ffmpeg = Executables.find("ffmpeg", searchPath: searchPath) else { return .failure(MissingTool(name: "ffmpeg")) }
        guard let ffprobe = Executables.find("ffprobe", searchPath: searchPath) else { return .failure(MissingTool(name: "ffprobe")) }
        return .success(FFmpegTools(ffmpeg: ffmpeg, ffprobe: ffprobe))
    }

    public struct MissingTool: Error, CustomStringConvertible {
        public var name: String
        public var description: String { "\(name) was not found on PATH (Debian: apt-get install ffmpeg)" }
    }

    /// The environment every ffmpeg child gets: UTC (segment names are UTC
    /// times), C locale, a fixed PATH; nothing inherited from the agent.
    /// And glibc's malloc kept small (`mallocTunables`).
    public static let environment: [String: String] = Subprocess.defaultEnvironment.merging(["GLIBC_TUNABLES": mallocTunables]) { $1 }

    /// One malloc arena, and blocks of 128 KiB or more mapped and unmapped
    /// rather than kept in the heap: 0.7 MB less private memory per
    /// copy-mode recorder with motion on (17.9 → 17.2 MB, three of each
    /// beside each other, 640×360; docs/motion-design.md). Other C
    /// libraries ignore the variable.
    public static let mallocTunables = "glibc.malloc.arena_max=1:glibc.malloc.trim_threshold=131072:glibc.malloc.mmap_threshold=131072"
}
