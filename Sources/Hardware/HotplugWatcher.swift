#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CPlatform
import Platform
import Synchronization

/// Watches for V4L2 nodes and encoder devices appearing and disappearing:
/// inotify on the /dev directory (video and NVIDIA nodes are created and
/// removed there), /dev/dri (render nodes) and /dev/v4l/by-id and by-path
/// once they exist. Changes are debounced: a burst of udev events (node,
/// by-id link, by-path link) becomes one notification, 250 ms after the
/// last event (at most 2 s after the first).
public final class HotplugWatcher: Sendable {
    public let changes: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation
    private let fd: Int32
    private let wakeFD: Int32
    private let thread = Mutex<pthread_t?>(nil)
    private let running = Mutex(true)
    public let devRoot: String

    public init(devRoot: String = "/dev") throws(SystemError) {
        self.devRoot = devRoot
        (changes, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        fd = try syscall("inotify_init1") { inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK)) }
        wakeFD = csys_eventfd()
        let mask = UInt32(IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_ATTRIB)
        _ = try syscall("inotify_add_watch", devRoot) { inotify_add_watch(fd, devRoot, mask) }
        _ = addSubdirectoryWatches()
        let box = Unmanaged.passRetained(self).toOpaque()
        var tid = pthread_t()
        guard pthread_create(&tid, nil, { raw in
            let watcher = Unmanaged<HotplugWatcher>.fromOpaque(raw!).takeRetainedValue()
            watcher.loop()
            return nil
        }, box) == 0 else {
            Unmanaged<HotplugWatcher>.fromOpaque(box).release()
            throw SystemError(call: "pthread_create", errno: EAGAIN)
        }
        thread.withLock { $0 = tid }
    }

    public func shutdown() {
        running.withLock { $0 = false }
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
        if let tid = thread.withLock({ t -> pthread_t? in defer { t = nil }; return t }) { pthread_join(tid, nil) }
        continuation.finish()
    }

    static let subdirectories = ["v4l", "v4l/by-id", "v4l/by-path", "dri"]
    private let watched = Mutex<Set<String>>([])

    /// Watches the subdirectories that exist now; true when one is new
    /// (udev creates /dev/v4l/by-id with the first camera: links made
    /// before the watch was added are caught by the notification this gives).
    private func addSubdirectoryWatches() -> Bool {
        var added = false
        for sub in HotplugWatcher.subdirectories.map({ "\(devRoot)/\($0)" }) where FileSystem.isDirectory(sub) {
            let isNew = watched.withLock { $0.insert(sub).inserted }
            guard isNew else { continue }
            _ = inotify_add_watch(fd, sub, UInt32(IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_ATTRIB))
            added = true
        }
        return added
    }

    private func loop() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        var first: ContinuousClock.Instant?
        var last: ContinuousClock.Instant?
        while running.withLock({ $0 }) {
            var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)]
            let timeout: Int32 = last == nil ? -1 : 100
            let ready = poll(&fds, 2, timeout)
            if ready < 0 && errno != EINTR { break }
            if fds[0].revents & Int16(POLLIN) != 0 {
                var relevant = false
                while true {
                    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if n <= 0 { break }
                    relevant = relevant || HotplugWatcher.containsRelevantEvent(buffer[0..<n])
                }
                if addSubdirectoryWatches() { relevant = true }
                if relevant {
                    first = first ?? .now
                    last = .now
                }
            }
            if let since = last, let start = first,
               ContinuousClock.now - since >= .milliseconds(250) || ContinuousClock.now - start >= .seconds(2) {
                first = nil
                last = nil
                continuation.yield()
            }
        }
        close(fd)
        close(wakeFD)
    }

    /// Parses inotify records: only video nodes and the v4l link directories matter.
    static func containsRelevantEvent(_ bytes: ArraySlice<UInt8>) -> Bool {
        var offset = bytes.startIndex
        let header = MemoryLayout<inotify_event>.size
        while offset + header <= bytes.endIndex {
            let length = Int(bytes[offset + 12]) | Int(bytes[offset + 13]) << 8 | Int(bytes[offset + 14]) << 16 | Int(bytes[offset + 15]) << 24
            let nameBytes = bytes[(offset + header)..<min(offset + header + length, bytes.endIndex)].prefix { $0 != 0 }
            let name = String(decoding: nameBytes, as: UTF8.self)
            if name.hasPrefix("video") || name == "v4l" || name == "by-id" || name == "by-path" || name.hasPrefix("usb-") || name.hasPrefix("platform-")
                || name.hasPrefix("pci-") || name == "dri" || name.hasPrefix("renderD") || name.hasPrefix("nvidia") {
                return true
            }
            offset += header + length
        }
        return false
    }
}
