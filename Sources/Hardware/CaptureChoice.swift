import CamgateCore
import Media

/// How a V4L2 camera is read: the format, size and rate asked of the
/// driver. The size limit (`video.size`, default 1920x1080) is a
/// constraint; among the formats offering a size within it, native H.264
/// (copied, no encode) > MJPEG > raw (YUYV, NV12, I420), then the largest
/// such size, then the highest rate within `video.fps` (default 30; when a
/// size offers only faster rates, its slowest). A camera whose H.264 starts
/// at 1280x720 asked for 640x480 thus gets MJPEG 640x480, not 720p. When no
/// format has a size within the limit, the best format at its smallest size.
/// A driver that does not enumerate sizes (ENOTTY) is asked for the limit
/// itself, and the driver picks the nearest size it has.
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
        let formats = node.formats.filter { !$0.emulated && $0.format.ffmpegInputFormat != nil }
            .sorted { (rank($0.format), $0.format) < (rank($1.format), $1.format) }
        func fits(_ option: FrameSizeOption) -> Bool { option.size.width <= limit.width && option.size.height <= limit.height }
        let chosen: (FormatOption, FrameSizeOption)
        if let format = formats.first(where: { $0.sizes.contains(where: fits) }) {
            chosen = (format, format.sizes.filter(fits).max { $0.size < $1.size }!)
        } else if let format = formats.first(where: { !$0.sizes.isEmpty }) {
            chosen = (format, format.sizes.min { $0.size < $1.size }!)
        } else if let format = formats.first {
            chosen = (format, FrameSizeOption(size: limit, rates: []))
        } else {
            return nil
        }
        let (format, option) = chosen
        let rate = option.rates.filter { $0 <= maxFPS + 0.001 }.max() ?? option.rates.min()
        return CaptureMode(inputFormat: format.format.ffmpegInputFormat!, size: option.size,
                           fps: rate.map { Int($0.rounded()) }, native: format.format == .h264)
    }
}
