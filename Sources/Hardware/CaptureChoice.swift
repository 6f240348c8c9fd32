import CamgateCore
import Media

/// How a V4L2 camera is read: the format, size and rate asked of the
/// driver. Native H.264 is copied (no encode) > MJPEG > raw (YUYV, NV12,
/// I420); within the format, the largest size and then the highest rate that
/// fit the camera's `video` limits (default: at most 1920x1080 and 30 fps).
public enum CaptureChoice {
    public static let defaultMaximumSize = Resolution(width: 1920, height: 1080)
    public static let defaultMaximumFPS = 30.0

    static func rank(_ format: PixelFormat) -> Int {
        switch format {
        case .h264: 0
        case .mjpeg, .jpeg: 1
        default: 2
        }
    }

    public static func choose(_ node: V4L2Node, wanted: VideoSettings) -> CaptureMode? {
        let limit = wanted.size ?? defaultMaximumSize
        let maxFPS = wanted.fps.map(Double.init) ?? defaultMaximumFPS
        let usable = node.formats.filter { !$0.emulated && $0.format.ffmpegInputFormat != nil && !$0.sizes.isEmpty }
        guard let format = usable.min(by: { (rank($0.format), $0.format) < (rank($1.format), $1.format) }) else { return nil }
        let fitting = format.sizes.filter { $0.size.width <= limit.width && $0.size.height <= limit.height }
        let option = fitting.max { $0.size < $1.size } ?? format.sizes.min { $0.size < $1.size }!
        let rate = option.rates.filter { $0 <= maxFPS + 0.001 }.max() ?? option.rates.min()
        return CaptureMode(inputFormat: format.format.ffmpegInputFormat!, size: option.size,
                           fps: rate.map { Int($0.rounded()) }, native: format.format == .h264)
    }
}
