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
    public static let environment: [String: String] = Subprocess.defaultEnvironment
}
