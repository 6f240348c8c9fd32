#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CamgateCore
import Platform

/// Finds the V4L2 nodes of the machine (or of a fake `/dev` + `/sys` tree
/// in tests) and probes each one. A node that cannot be opened (busy,
/// permission denied, gone) is listed with the reason, never dropped.
public struct V4L2Enumerator: Sendable {
    public var devRoot: String
    public var sysRoot: String
    public var opener: any V4L2DeviceOpener

    public init(devRoot: String = "/dev", sysRoot: String = "/sys", opener: any V4L2DeviceOpener = SystemV4L2Opener()) {
        self.devRoot = devRoot
        self.sysRoot = sysRoot
        self.opener = opener
    }

    /// Every video node, probed, in node order.
    public func nodes() -> [V4L2Node] {
        let byID = links(in: "\(devRoot)/v4l/by-id")
        let byPath = links(in: "\(devRoot)/v4l/by-path")
        return nodeNames().map { name in
            let path = "\(devRoot)/\(name)"
            do {
                let device = try opener.open(path)
                var node = V4L2Probe.probe(device, byID: byID[path], byPath: byPath[path])
                if node.card.isEmpty { node.card = sysfsName(name) ?? "" }
                return node
            } catch {
                return V4L2Node(path: path, byID: byID[path], byPath: byPath[path], kind: sysfsKindGuess(name),
                                driver: "", card: sysfsName(name) ?? "", busInfo: "", status: .unavailable((error as? V4L2Error)?.reason ?? "\(error)"), formats: [], notes: [])
            }
        }
    }

    /// `videoN` names from sysfs (the kernel's list), else from /dev.
    func nodeNames() -> [String] {
        let fromSys = (try? FileSystem.list("\(sysRoot)/class/video4linux")) ?? []
        let names = fromSys.isEmpty ? ((try? FileSystem.list(devRoot)) ?? []) : fromSys
        return names.filter { $0.hasPrefix("video") && Int($0.dropFirst(5)) != nil }
            .sorted { Int($0.dropFirst(5))! < Int($1.dropFirst(5))! }
    }

    /// symlink target (as a path under devRoot) → the link's own path.
    func links(in directory: String) -> [String: String] {
        var map: [String: String] = [:]
        for name in ((try? FileSystem.list(directory)) ?? []).sorted() {
            let link = "\(directory)/\(name)"
            guard let target = readLink(link) else { continue }
            let resolved = target.hasPrefix("/") ? FileSystem.normalized(target) : FileSystem.normalized("\(directory)/\(target)")
            // A fake tree's absolute links point into the real /dev: map them into devRoot.
            let inRoot = resolved.hasPrefix(devRoot + "/") ? resolved : devRoot + "/" + FileSystem.basename(resolved)
            // One link per node is listed: an index0 link (the node a camera
            // streams from) over others, else the first by name (udev's
            // ID_PATH "…-usb-…" before its compatibility "…-usbv2-…"). Any
            // other link still means the node: `Inventory.node(for:)`.
            if let listed = map[inRoot], listed.hasSuffix("index0") || !name.hasSuffix("index0") { continue }
            map[inRoot] = link
        }
        return map
    }

    func sysfsName(_ name: String) -> String? {
        (try? FileSystem.readText("\(sysRoot)/class/video4linux/\(name)/name", limit: 256))?.trimmingTrailingNewlines()
    }

    func sysfsKindGuess(_ name: String) -> V4L2NodeKind { .other }

    func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var s = self
        while let last = s.last, last.isNewline || last == " " { s.removeLast() }
        return s
    }

    func trimmingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
