import CamgateCore

/// The recorder's shared low-rate decode branch when motion is on
/// (docs/motion-design.md, "The recommended graph"): 2 samples a second,
/// split between latest.jpg (1 fps, full size) and the motion metric
/// (a 178×100 contrast-stretched grey copy, masks painted black, the share
/// of pixels that changed by more than `pixelThreshold` since the last
/// sample), written with epoch-millisecond stamps to the camera's motion
/// file. Quiet samples (under `floorYAVG`) are not written.
public enum MotionGraph {
    /// Luma change (0–255) for a pixel to count as changed.
    public static let pixelThreshold = 15
    /// YAVG (2.55 × percent) a sample must pass to be written: 0.2 %.
    public static let floorYAVG = "0.5"

    /// The `-filter_complex` and the two outputs it feeds (latest.jpg, the
    /// null muxer that drives the motion branch).
    /// - Parameter input: the decoded stream: `0:v:0`, or `1:v:0` for a substream.
    public static func outputs(camera: CameraID, masks: [MaskRect], layout: DataLayout, input: String = "0:v:0") -> [String] {
        ["-filter_complex_threads", "1", "-filter_complex", graph(masks: masks, motionFile: layout.motionLog(camera), input: input),
         "-map", "[jpg]", "-pix_fmt", "yuv420p", "-color_range", "pc", "-strict", "-1", "-c:v", "mjpeg", "-q:v", "5", "-threads", "1",
         "-f", "image2", "-update", "1", "-atomic_writing", "1", layout.latestSnapshot(camera),
         "-map", "[mo]", "-f", "null", "-"]
    }

    public static func graph(masks: [MaskRect], motionFile: String, input: String = "0:v:0") -> String {
        let boxes = masks.map {
            ",drawbox=x=iw*\(decimal($0.x)):y=ih*\(decimal($0.y)):w=iw*\(decimal($0.w)):h=ih*\(decimal($0.h)):color=black:t=fill"
        }.joined()
        return "[\(input)]fps=2,split=2[j][m];[j]fps=1,scale=out_range=full[jpg];"
            + "[m]scale=-2:100:flags=area,format=gbrp,normalize=independence=0:smoothing=0,format=yuv420p"
            + "\(boxes),tblend=all_mode=difference,"
            + "lutyuv=y='gt(val,\(pixelThreshold))*255',signalstats,"
            + "metadata=mode=select:key=lavfi.signalstats.YAVG:function=greater:value=\(floorYAVG),"
            + "settb=1/1000,setpts=RTCTIME/1000,"
            + "metadata=mode=print:key=lavfi.signalstats.YAVG:direct=1:file=\(escapeOptionValue(motionFile))[mo]"
    }

    /// A value as one filter option inside a filtergraph: escaped for the
    /// option parser (`\ ' :`), then for the graph parser (`\ ' [ ] , ;`),
    /// as ffmpeg-filters(1) "Notes on filtergraph escaping" describes. A
    /// data directory may hold any of these; argv is passed without a shell.
    public static func escapeOptionValue(_ value: String) -> String {
        escape(escape(value, "\\':"), "\\'[],;")
    }

    static func escape(_ text: String, _ special: String) -> String {
        var out = ""
        for c in text {
            if special.contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }

    /// A relative coordinate, fixed to 4 decimals (the same text at every
    /// reconcile, so the command's fingerprint does not move).
    static func decimal(_ value: Double) -> String {
        let n = Int((min(1, max(0, value)) * 10_000).rounded())
        let fraction = String(n % 10_000)
        return "\(n / 10_000).\(String(repeating: "0", count: 4 - fraction.count))\(fraction)"
    }
}
