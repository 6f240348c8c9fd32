#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CamgateCore
import Media
import Platform

/// What the box has: its V4L2 nodes (cameras first) and every encoder
/// backend considered, usable or not with the reason.
public struct Inventory: Sendable {
    public var nodes: [V4L2Node]
    public var encoders: [EncoderCandidate]
    /// Identifies the hardware and ffmpeg the encoder results were proven on.
    public var fingerprint: String
    public var probedAtMs: Int64
    public var durationMs: Int64

    public init(nodes: [V4L2Node], encoders: [EncoderCandidate], fingerprint: String, probedAtMs: Int64, durationMs: Int64) {
        self.nodes = nodes
        self.encoders = encoders
        self.fingerprint = fingerprint
        self.probedAtMs = probedAtMs
        self.durationMs = durationMs
    }

    /// Capture nodes, and nodes that could not be opened (they may be cameras).
    public var cameras: [V4L2Node] {
        nodes.filter { $0.kind == .capture || $0.status != .ok }
    }

    /// The node a configured device path means (a by-id / by-path link or
    /// the node). A node can have more links than the inventory lists (udev
    /// makes two by-path links per USB node): any link that resolves to the
    /// node's own path means that node.
    public func node(for device: String) -> V4L2Node? {
        if let listed = nodes.first(where: { $0.path == device || $0.byID == device || $0.byPath == device }) { return listed }
        guard let real = FileSystem.realPath(device) else { return nil }
        return nodes.first { FileSystem.realPath($0.path) == real }
    }

    /// The first usable encoder in `priority` order.
    public func bestEncoder(priority: [EncoderBackend] = EncoderBackend.defaultPriority) -> EncoderCandidate? {
        for backend in priority {
            if let usable = encoders.first(where: { $0.backend == backend && $0.usable }) { return usable }
        }
        return nil
    }

    public func encoder(_ backend: EncoderBackend) -> EncoderCandidate? {
        encoders.first { $0.backend == backend && $0.usable }
    }

    // MARK: - Output

    public var json: JSONValue {
        .object([
            "cameras": .array(cameras.map(Inventory.nodeJSON)),
            "other_nodes": .array(nodes.filter { !cameras.contains($0) }.map(Inventory.nodeJSON)),
            "encoders": .array(encoders.map(\.json)),
            "probed_at": .string(Timestamp.rfc3339(milliseconds: probedAtMs)),
            "duration_ms": .int(durationMs),
        ])
    }

    static func nodeJSON(_ node: V4L2Node) -> JSONValue {
        var fields: [String: JSONValue] = [
            "node": .string(node.path), "stable_id": .string(node.stableID),
            "by_id": node.byID.map { .string($0) } ?? .null, "by_path": node.byPath.map { .string($0) } ?? .null,
            "kind": .string(node.kind.rawValue), "name": .string(node.card), "driver": .string(node.driver), "bus": .string(node.busInfo),
            "formats": .array(node.formats.map { format in
                .object(["format": .string(format.format.fourcc), "description": .string(format.description), "emulated": .bool(format.emulated),
                         "sizes": .array(format.sizes.map { .object(["size": .string($0.size.description), "fps": .array($0.rates.map { .double(($0 * 100).rounded() / 100) })]) })])
            }),
        ]
        switch node.status {
        case .ok: fields["status"] = .string("ok")
        case .unavailable(let reason): fields["status"] = .string("unavailable"); fields["reason"] = .string(reason)
        }
        if !node.notes.isEmpty { fields["notes"] = .array(node.notes.map { .string($0) }) }
        return .object(fields)
    }

    /// Summaries of formats: `MJPG 1920x1080@30` (as in `discovered` reports).
    public static func formatSummary(_ node: V4L2Node) -> [String] {
        node.formats.flatMap { format in
            format.sizes.map { "\(format.format.fourcc) \($0.size)@\($0.rates.first.map { String(Int($0.rounded())) } ?? "?")" }
        }
    }

    public var text: String {
        var lines = ["cameras:"]
        if cameras.isEmpty { lines.append("  none found") }
        for node in cameras {
            var line = "  \(node.path)  \(node.stableID == node.path ? "" : node.stableID + "  ")\(node.card.isEmpty ? "" : "\"\(node.card)\"")"
            if case .unavailable(let reason) = node.status { line += "  unavailable: \(reason)" }
            lines.append(line)
            for format in node.formats {
                let sizes = format.sizes.map { "\($0.size)@\($0.rates.map { String(Int($0.rounded())) }.joined(separator: "/"))" }
                lines.append("      \(format.format.fourcc.padding(4))  \(sizes.joined(separator: " "))\(format.emulated ? "  (emulated)" : "")")
            }
            for note in node.notes { lines.append("      note: \(note)") }
        }
        let others = nodes.filter { !cameras.contains($0) }
        if !others.isEmpty {
            lines.append("other video nodes:")
            for node in others { lines.append("  \(node.path)  \(node.kind.rawValue)  \(node.driver) \(node.card)") }
        }
        lines.append("encoders:")
        var table = [["BACKEND", "DEVICE", "CODEC", "USABLE", "REASON"]]
        for e in encoders { table.append([e.backend.rawValue, e.device, e.codec, e.usable ? "yes" : "no", e.reason + (e.details.map { " (\($0))" } ?? "")]) }
        let widths = (0..<4).map { i in table.map { $0[i].count }.max()! }
        for row in table {
            lines.append("  " + (0..<4).map { row[$0].padding(widths[$0]) }.joined(separator: "  ") + "  " + row[4])
        }
        lines.append("probed in \(durationMs) ms")
        return lines.joined(separator: "\n")
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}

/// Runs the whole probe: V4L2 nodes, then every encoder backend with trial
/// encodes in parallel.
public struct HardwareProbe: Sendable {
    public var enumerator: V4L2Enumerator
    public var encoders: EncoderProbe
    public var ffmpeg: String

    public init(enumerator: V4L2Enumerator, encoders: EncoderProbe, ffmpeg: String) {
        self.enumerator = enumerator
        self.encoders = encoders
        self.ffmpeg = ffmpeg
    }

    public init(tools: FFmpegTools, devRoot: String = "/dev", sysRoot: String = "/sys") {
        self.init(enumerator: V4L2Enumerator(devRoot: devRoot, sysRoot: sysRoot),
                  encoders: EncoderProbe(devRoot: devRoot, trial: TrialEncoder(ffmpeg: tools.ffmpeg)), ffmpeg: tools.ffmpeg)
    }

    /// Cameras only (cheap: ioctls, no trial encode), for hotplug.
    public func cameras() -> [V4L2Node] {
        enumerator.nodes()
    }

    /// Everything. `cached` encoder results are reused when their
    /// fingerprint matches (same hardware, same ffmpeg).
    public func run(cached: (fingerprint: String, encoders: [EncoderCandidate])? = nil) async -> Inventory {
        let start = ContinuousClock.now
        let nodes = enumerator.nodes()
        let fingerprint = self.fingerprint(nodes: nodes)
        let encoders: [EncoderCandidate]
        if let cached, cached.fingerprint == fingerprint {
            encoders = cached.encoders
        } else {
            encoders = await self.encoders.probe(m2mNodes: nodes.filter { $0.kind == .memoryToMemory })
        }
        let elapsed = ContinuousClock.now - start
        return Inventory(nodes: nodes, encoders: encoders, fingerprint: fingerprint, probedAtMs: WallClock.nowMilliseconds(),
                         durationMs: elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
    }

    /// The encoder-relevant hardware and software: render and NVIDIA nodes,
    /// M2M nodes, the ffmpeg binary, the VA-API driver files and the dynamic
    /// linker's cache (sizes and mtimes).
    public func fingerprint(nodes: [V4L2Node]) -> String {
        let dev = encoders.devRoot
        var parts = ((try? FileSystem.list("\(dev)/dri")) ?? []).sorted()
        parts += ((try? FileSystem.list(dev)) ?? []).filter { $0.hasPrefix("nvidia") }.sorted()
        parts += nodes.filter { $0.kind == .memoryToMemory }.map { "\($0.path) \($0.driver) \($0.formats.map(\.format.fourcc))" }
        // The software side: ffmpeg, the VA-API drivers, and the dynamic
        // linker's cache (installing libnvidia-encode, libva or a driver
        // package runs ldconfig, which rewrites it).
        var files = [ffmpeg, "/etc/ld.so.cache"]
        for directory in encoders.driverDirectories {
            files += ((try? FileSystem.list(directory)) ?? []).filter { $0.hasSuffix("_drv_video.so") }.sorted().map { "\(directory)/\($0)" }
        }
        for file in files {
            var st = stat()
            if stat(file, &st) == 0 { parts.append("\(file) \(st.st_size) \(st.st_mtim.tv_sec)") }
        }
        return ProcessSpec(executable: "hardware", arguments: parts, logFile: "").fingerprint
    }
}
