#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CamgateCore
import CPlatform
import LocalAPI
import Platform
import Store
import Synchronization

/// What the API itself measures (snapshot latency), and its edit queue.
public final class APIMetrics: Sendable {
    private struct State {
        var snapshots = Histogram(bounds: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])
        var snapshotNumber: UInt64 = 0
    }

    private let state = Mutex(State())
    let started = ContinuousClock.now
    let edits = EditQueue()

    public init() {}

    var uptimeSeconds: Double { (ContinuousClock.now - started).seconds }
    var snapshotHistogram: Histogram { state.withLock { $0.snapshots } }

    func observeSnapshot(seconds: Double) {
        state.withLock { $0.snapshots.observe(seconds) }
    }

    func nextSnapshotNumber() -> UInt64 {
        state.withLock { $0.snapshotNumber += 1; return $0.snapshotNumber }
    }
}

extension APIRoutes {
    /// `/metrics`: the agent's families (docs/local-api.md lists them).
    func renderMetrics() async -> String {
        var out = PrometheusText()
        out.gauge("camgate_build_info", "The agent's version; always 1.", [([("version", CamgateCore.version)], 1)])
        out.gauge("camgate_agent_resident_memory_bytes", "Resident memory of the agent process.", [([], Double(ProcessUsage.of(getpid())?.rssBytes ?? 0))])
        out.gauge("camgate_agent_uptime_seconds", "Seconds since the agent's API started.", [([], metrics.uptimeSeconds)])
        await cameraMetrics(&out)
        await processMetrics(&out)
        await storageMetrics(&out)
        await cloudMetrics(&out)
        await uploadMetrics(&out)
        deviceMetrics(&out)
        softwareMetrics(&out)
        out.histogram("camgate_snapshot_duration_seconds", "Time to answer a snapshot request.", metrics.snapshotHistogram)
        return out.text
    }

    private func cameraMetrics(_ out: inout PrometheusText) async {
        let rows = ((try? await store.cameras()) ?? []).filter { !$0.id.isReserved && $0.state != .removed }
        out.gauge("camgate_camera_state", "1 for each camera's current state, 0 for the others.", rows.flatMap { row in
            CameraState.allCases.filter { $0 != .removed }.map { state in ([("camera", row.id.rawValue), ("state", state.rawValue)], row.state == state ? 1.0 : 0) }
        })
        out.counter("camgate_recorder_restarts_total", "Recorder restarts after a failure, per camera.",
                    rows.map { ([("camera", $0.id.rawValue)], Double($0.restarts)) })
        let counters = await agent.counters
        let cameras = rows.map(\.id)
        out.counter("camgate_segments_written_total", "Segments finished and indexed since the agent started.",
                    cameras.map { ([("camera", $0.rawValue)], Double(counters.segmentsWritten[$0] ?? 0)) })
        out.counter("camgate_recorded_bytes_total", "Bytes of finished segments since the agent started.",
                    cameras.map { ([("camera", $0.rawValue)], Double(counters.bytesRecorded[$0] ?? 0)) })
        out.counter("camgate_motion_events_total", "Motion events announced since the agent started.",
                    cameras.map { ([("camera", $0.rawValue)], Double(counters.motionEvents[$0] ?? 0)) })
        let newest = (try? await store.newestSegmentStarts()) ?? [:]
        let now = WallClock.nowMilliseconds()
        out.gauge("camgate_newest_segment_age_seconds", "Seconds since the newest segment of each camera began.",
                  cameras.compactMap { id in newest[id].map { ([("camera", id.rawValue)], Double(now - $0) / 1000) } })
    }

    private func processMetrics(_ out: inout PrometheusText) async {
        let processes = await agent.runningProcesses()
        let usage = processes.compactMap { key, pid in ProcessUsage.of(pid).map { (key, $0) } }
        out.counter("camgate_ffmpeg_cpu_seconds_total", "CPU time (user and system) of each supervised process.",
                    usage.map { ([("camera", $0.0.camera.rawValue), ("role", $0.0.role.rawValue)], $0.1.cpuSeconds) })
        out.gauge("camgate_ffmpeg_resident_memory_bytes", "Resident memory of each supervised process.",
                  usage.map { ([("camera", $0.0.camera.rawValue), ("role", $0.0.role.rawValue)], Double($0.1.rssBytes)) })
    }

    private func storageMetrics(_ out: inout PrometheusText) async {
        let root = FileSystem.exists(layout.recordingsRoot) ? layout.recordingsRoot : layout.root
        let capacity = (try? FileSystem.capacity(of: root)) ?? (total: 0, available: 0)
        out.gauge("camgate_storage_free_bytes", "Free bytes on the recordings' file system.", [([], Double(capacity.available))])
        out.gauge("camgate_storage_size_bytes", "Size of the recordings' file system.", [([], Double(capacity.total))])
        let floor = await agent.desiredState.recording.minFreePercent
        out.gauge("camgate_storage_min_free_ratio", "The retention floor: free space kept, as a ratio.", [([], Double(floor) / 100)])
        let counters = await agent.counters
        out.counter("camgate_retention_deleted_segments_total", "Segments deleted by retention since the agent started.",
                    [([], Double(counters.retentionDeletedSegments))])
        out.counter("camgate_retention_deleted_bytes_total", "Bytes deleted by retention since the agent started.",
                    [([], Double(counters.retentionDeletedBytes))])
    }

    /// The install's versions and the last update (docs/ota.md).
    private func softwareMetrics(_ out: inout PrometheusText) {
        guard let report = context.software?() else { return }
        out.gauge("camgate_software_info", "The versions running, committed and previous; always 1.",
                  [([("running", report.running), ("committed", report.committed?.description ?? ""),
                     ("previous", report.previous?.description ?? "")], 1)])
        let phase = report.lastUpdate?.phase
        out.gauge("camgate_update_in_progress", "1 while an update is staged or on trial.", [([], phase == .staged || phase == .trial ? 1 : 0)])
        if let outcome = report.lastUpdate?.outcome {
            let ok: Double = if case .succeeded = outcome { 1 } else { 0 }
            out.gauge("camgate_update_last_succeeded", "1 when the last update was committed, 0 when it was rolled back.", [([], ok)])
        }
    }

    private func deviceMetrics(_ out: inout PrometheusText) {
        guard let report = context.device?() else { return }
        let health = report.health
        out.gauge("camgate_device_info", "The board profile chosen; always 1.",
                  [([("board", report.choice.id ?? "none"), ("variant", report.choice.variant?.id ?? "")], 1)])
        if let t = health.temperatureCelsius {
            out.gauge("camgate_device_temperature_celsius", "Temperature of the board profile's thermal zone.", [([("zone", health.thermalZone ?? "")], t)])
        }
        if let up = health.uptimeSeconds { out.gauge("camgate_device_uptime_seconds", "Seconds since the system booted.", [([], up)]) }
        if let now = health.throttling?.underVoltageNow {
            out.gauge("camgate_device_under_voltage", "1 while the board reports under-voltage.", [([], now ? 1 : 0)])
        }
        if let now = health.throttling?.throttledNow {
            out.gauge("camgate_device_throttled", "1 while the board reports its CPU throttled or capped.", [([], now ? 1 : 0)])
        }
        let wear = health.storageWear.compactMap { w in [w.lifeTimeA, w.lifeTimeB].compactMap { $0 }.max().map { (w.device, $0) } }
        guard !wear.isEmpty else { return }
        out.gauge("camgate_storage_wear_level", "eMMC life used, JEDEC level: 1 = 0-10 %, 10 = 90-100 %, 11 = exceeded.",
                  wear.map { ([("device", $0.0)], Double($0.1)) })
    }

    private func cloudMetrics(_ out: inout PrometheusText) async {
        guard let cloud = try? await store.cloudState() else { return }
        out.gauge("camgate_cloud_link_up", "1 while the event stream is connected.", [([], cloud.link == "connected" ? 1 : 0)])
        out.gauge("camgate_cloud_outbox_depth", "Reports waiting to be sent.", [([], Double((try? await store.outboxDepth()) ?? 0))])
        if let received = context.cloudEventsReceived {
            out.counter("camgate_cloud_events_received_total", "Events received on the stream since the agent started.", [([], Double(await received()))])
        }
    }
}

/// CPU and memory of a process, from /proc/PID/stat.
struct ProcessUsage {
    var cpuSeconds: Double
    var rssBytes: Int64

    static func of(_ pid: Int32) -> ProcessUsage? {
        guard let stat = ProcFS.stat(pid: pid) else { return nil }
        let ticks = Double(max(1, csys_clock_ticks()))
        return ProcessUsage(cpuSeconds: Double(stat.userTicks + stat.systemTicks) / ticks, rssBytes: stat.rssPages * Int64(sysconf(Int32(_SC_PAGESIZE))))
    }
}
