import CamgateCore

/// Why the paths cannot be rendered safely: nothing is written then.
public struct MediaMTXRenderError: Error, CustomStringConvertible, Sendable, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Desired state → the MediaMTX paths the agent owns, per lifecycle type.
///
/// No URL, password or other camera data goes into a command string:
/// on-demand commands are `camgate capture <camera> …`, which reads the
/// source (with its credentials) from the store. MediaMTX therefore never
/// shows a password, and no `$` from data can be expanded by it.
public struct PathRenderer: Sendable {
    /// The camgate executable MediaMTX runs for on-demand captures.
    public var camgate: String
    public var dataDirectory: String
    /// Where MediaMTX expands `$RTSP_PORT` and `$MTX_PATH` itself.
    public static let publishURL = "rtsp://127.0.0.1:$RTSP_PORT/$MTX_PATH"

    public init(camgate: String, dataDirectory: String) {
        self.camgate = camgate
        self.dataDirectory = dataDirectory
    }

    /// - Parameters:
    ///   - sizes: a camera's known frame size (variants smaller than it are
    ///     offered; unknown: all of them).
    ///   - encoders: the encoder the agent chose for a camera's on-demand
    ///     capture and for its variants (`VideoEncoder.argument` form), passed
    ///     to `camgate capture` / `transcode` so that they use the same one.
    public func render(_ desired: DesiredState, sizes: [CameraID: Resolution] = [:],
                       encoders: [CameraID: (capture: String, transcode: String)] = [:]) throws(MediaMTXRenderError) -> [MediaMTXPath] {
        for (what, text) in [("the camgate path", camgate), ("the data directory", dataDirectory)] where text.contains("$") {
            throw MediaMTXRenderError("\(what) \(CameraID.quoted(text)) contains '$', which MediaMTX would expand in a command")
        }
        var paths: [MediaMTXPath] = []
        for (id, spec) in desired.sortedCameras {
            let lifecycle = Lifecycle.of(spec)
            paths.append(main(id, lifecycle, encoder: encoders[id]?.capture))
            if spec.view {
                for variant in Variant.ladder where sizes[id].map({ variant.size.height < $0.height }) ?? true {
                    paths.append(self.variant(id, variant, encoder: encoders[id]?.transcode))
                }
            }
        }
        var seen: [String: CameraID] = [:]
        for path in paths {
            if let other = seen[path.name] {
                throw MediaMTXRenderError("path \(path.name) of camera \(path.camera) collides with a path of camera \(other); rename one of them")
            }
            seen[path.name] = path.camera
        }
        try MediaMTXValidation.check(paths)
        return paths
    }

    func main(_ id: CameraID, _ lifecycle: Lifecycle, encoder: String? = nil) -> MediaMTXPath {
        switch lifecycle {
        case .recording:
            // The agent's supervised publisher pushes the recorder's stream here.
            return MediaMTXPath(name: id.rawValue, camera: id, lifecycle: .recording, variant: nil,
                                settings: [.init(key: "source", value: .string("publisher"))], commands: [:])
        case .viewing, .snapshot:
            let argv = [camgate, "capture", id.rawValue, "--data-dir", dataDirectory] + (encoder.map { ["--encoder", $0] } ?? [])
                + ["--publish", PathRenderer.publishURL]
            let viewing = lifecycle == .viewing
            return MediaMTXPath(name: id.rawValue, camera: id, lifecycle: lifecycle, variant: nil, settings: [
                .init(key: "source", value: .string("publisher")),
                .init(key: "runOnDemand", value: .string(ShellQuote.join(argv))),
                .init(key: "runOnDemandRestart", value: .bool(viewing)),
                .init(key: "runOnDemandStartTimeout", value: .string(viewing ? "10s" : "5s")),
                .init(key: "runOnDemandCloseAfter", value: .string(viewing ? "300s" : "60s")),
            ], commands: ["runOnDemand": argv])
        }
    }

    func variant(_ id: CameraID, _ variant: Variant, encoder: String? = nil) -> MediaMTXPath {
        let argv = [camgate, "transcode", id.rawValue, "--variant", variant.name, "--data-dir", dataDirectory]
            + (encoder.map { ["--encoder", $0] } ?? []) + ["--publish", PathRenderer.publishURL]
        return MediaMTXPath(name: "\(id.rawValue)_\(variant.name)", camera: id, lifecycle: .viewing, variant: variant.name, settings: [
            .init(key: "source", value: .string("publisher")),
            .init(key: "runOnDemand", value: .string(ShellQuote.join(argv))),
            .init(key: "runOnDemandRestart", value: .bool(true)),
            // The variant reads the camera's main path, which may itself start on demand.
            .init(key: "runOnDemandStartTimeout", value: .string("20s")),
            .init(key: "runOnDemandCloseAfter", value: .string("300s")),
        ], commands: ["runOnDemand": argv])
    }
}

/// Checks, before anything is written: every key exists in the reference
/// configuration with a value of its type; path names follow MediaMTX's
/// rules; every command splits (go-shellquote) into exactly its argv, and no
/// `$` in it is anything but MediaMTX's own `$RTSP_PORT` / `$MTX_PATH`.
public enum MediaMTXValidation {
    public static let expandable: Set<String> = ["$RTSP_PORT", "$MTX_PATH"]

    public static func check(_ paths: [MediaMTXPath]) throws(MediaMTXRenderError) {
        for path in paths {
            if let problem = pathNameProblem(path.name) { throw MediaMTXRenderError("path \(CameraID.quoted(path.name)): \(problem)") }
            for setting in path.settings {
                guard let kind = MediaMTXReference.pathKeys[setting.key] else {
                    throw MediaMTXRenderError("path \(path.name): \(setting.key) is not a MediaMTX path setting")
                }
                guard matches(setting.value, kind) else {
                    throw MediaMTXRenderError("path \(path.name): \(setting.key) must be \(kind.rawValue), not \(YAMLWriter.scalar(setting.value))")
                }
            }
            for (key, argv) in path.commands {
                guard case .string(let command)? = path[key] else { throw MediaMTXRenderError("path \(path.name): \(key) is missing") }
                let split: [String]
                do { split = try ShellQuote.split(command) } catch {
                    throw MediaMTXRenderError("path \(path.name): \(key) does not split: \(error)")
                }
                guard split == argv else { throw MediaMTXRenderError("path \(path.name): \(key) would run \(split), not \(argv)") }
                for word in argv {
                    if let bad = unexpandable(word) {
                        throw MediaMTXRenderError("path \(path.name): \(key) contains \(CameraID.quoted(bad)), which MediaMTX would expand")
                    }
                }
            }
        }
    }

    /// MediaMTX's path-name rules; nil when the name is fine.
    public static func pathNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "empty" }
        if name.hasPrefix("~") { return "a leading '~' makes a regular expression" }
        if name.hasPrefix("/") || name.hasSuffix("/") { return "cannot start or end with '/'" }
        if name.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0 == "." || $0 == ".." || $0.isEmpty }) {
            return "cannot contain '.', '..' or empty segments"
        }
        if let bad = name.unicodeScalars.first(where: { !(("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "_-/.".unicodeScalars.contains($0)) }) {
            return "contains \(CameraID.quoted(String(bad))); allowed: letters, digits, '_', '-', '/', '.'"
        }
        return nil
    }

    /// The first `$…` in `word` that is not an intended variable.
    static func unexpandable(_ word: String) -> String? {
        var rest = Substring(word)
        while let dollar = rest.firstIndex(of: "$") {
            let tail = rest[dollar...]
            guard let match = expandable.first(where: { tail.hasPrefix($0) && !(tail.dropFirst($0.count).first.map { $0.isLetter || $0.isNumber || $0 == "_" } ?? false) }) else {
                return String(tail.prefix(12))
            }
            rest = tail.dropFirst(match.count)
        }
        return nil
    }

    static func matches(_ value: YAMLValue, _ kind: MediaMTXValueKind) -> Bool {
        switch (kind, value) {
        case (.boolean, .bool), (.integer, .int), (.number, .int), (.number, .double), (.array, .sequence), (.string, .string), (_, .null):
            return true
        case (.duration, .string(let s)):
            return isDuration(s)
        default:
            return false
        }
    }

    static func isDuration(_ s: String) -> Bool {
        let units = ["ns", "us", "ms", "s", "m", "h", "d"]
        guard let unit = units.sorted(by: { $0.count > $1.count }).first(where: { s.hasSuffix($0) }) else { return false }
        let number = s.dropLast(unit.count)
        return !number.isEmpty && Double(number) != nil && !number.hasPrefix("-")
    }
}
