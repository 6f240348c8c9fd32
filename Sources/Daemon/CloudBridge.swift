import CamgateCore
import CloudLink
import Hardware
import Logging
import Media
import Platform
import Store

/// Connects the cloud link to the agent: every dispatched event is stored
/// before it is acted on; `desired` is applied when its revision is newer;
/// commands run at most once (their id is recorded first, their ack goes
/// through the outbox); `url_update` edits a camera's source and restream.
/// It is also the outbox the uplink drains.
public actor CloudBridge: EventStreamSink, ReportSource {
    let store: Store
    let agent: Agent
    let hardware: any HardwareControl
    let layout: DataLayout
    let logger: Logger
    let transport: HTTPTransport
    private var flush: @Sendable () -> Void = {}
    private var linkUp: @Sendable () -> Void = {}
    private var lastState: JSONValue?
    /// An `ota_update` may be running: true at start (one may outlive the
    /// previous agent) and when one is handed over; `settleUpdates` reads
    /// the store only while it is.
    var updatesMayBeRunning = true
    /// Events received since the agent started (metrics).
    public private(set) var eventsReceived = 0

    public init(store: Store, agent: Agent, hardware: any HardwareControl, layout: DataLayout, transport: HTTPTransport, logger: Logger) {
        self.store = store
        self.agent = agent
        self.hardware = hardware
        self.layout = layout
        self.transport = transport
        self.logger = logger
    }

    /// Called when reports were queued (rings the uplink).
    public func onReportsQueued(_ callback: @escaping @Sendable () -> Void) {
        flush = callback
    }

    /// Called when the event stream connects: the cloud answers again.
    public func onLinkUp(_ callback: @escaping @Sendable () -> Void) {
        linkUp = callback
    }

    // MARK: - EventStreamSink

    public func resumeID() async -> String? {
        (try? await store.resumeID()) ?? nil
    }

    public func receive(_ event: SSEParser.Event) async throws {
        eventsReceived += 1
        // Decoded first (pure), so that a command is recorded in the same
        // transaction as its event.
        let decoded = Result { () throws(ConfigurationError) -> CloudMessage? in try CloudProtocol.decode(type: event.type, data: event.data) }
        var command: NewCommand?
        var invalidCommand: (id: String, error: ConfigurationError)?
        switch decoded {
        case .success(.command(let c)?):
            command = NewCommand(id: c.id, type: c.type, camera: c.camera, args: c.args.serialized(), expiresAtMs: c.expiresAtMs)
        case .failure(let error) where event.type == "command":
            // Invalid, but with an id: recorded like any command, so that it
            // is acknowledged `rejected` once and only once.
            if let (id, type) = CloudProtocol.commandID(in: event.data) {
                command = NewCommand(id: id, type: type, camera: nil, args: "{}", expiresAtMs: nil)
                invalidCommand = (id, error)
            }
        default:
            break
        }
        let stored = try await store.storeEvent(id: event.lastEventID, type: event.type, data: event.data, command: command)
        FaultPoints.hit("event-stored", event.type)
        let outcome: String
        if let invalidCommand {
            if stored.commandIsNew {
                logger.warning("cloud: rejected command \(invalidCommand.id): \(invalidCommand.error)")
                await finish(invalidCommand.id, .rejected, "invalid command: \(invalidCommand.error)", nil)
                outcome = "rejected: \(invalidCommand.error) (acknowledged)"
            } else {
                outcome = "ignored: duplicate command \(invalidCommand.id) (not run again)"
            }
        } else {
            outcome = await handle(decoded, type: event.type, newCommand: stored.commandIsNew)
        }
        try? await store.setEventOutcome(seq: stored.seq, outcome)
    }

    public func committed(id: String) async {
        try? await store.commitResumeID(id)
    }

    /// After a restart: events stored but never acted on are handled now
    /// (a command among them runs from the commands table).
    public func handleUnprocessedEvents() async {
        for event in (try? await store.unhandledEvents()) ?? [] {
            let decoded = Result { () throws(ConfigurationError) -> CloudMessage? in try CloudProtocol.decode(type: event.type, data: event.data) }
            let outcome: String
            if case .success(.command(let c)?) = decoded {
                outcome = "handled after a restart: command \(c.id) is run from the commands table"
            } else {
                outcome = await handle(decoded, type: event.type, newCommand: false)
            }
            try? await store.setEventOutcome(seq: event.seq, outcome)
        }
    }

    public func skipped(id: String?, reason: String) async {
        if let stored = try? await store.storeEvent(id: id ?? "", type: "(dropped)", data: "", movesResumePoint: id?.isEmpty == false) {
            try? await store.setEventOutcome(seq: stored.seq, "dropped: \(reason)")
        }
    }

    public func linkChanged(_ state: LinkState) async {
        switch state {
        case .connecting:
            break
        case .connected:
            try? await store.setLink("connected", error: nil, credentialRejected: false)
            logger.info("cloud: connected")
            linkUp()
            await reportState(force: true)
            await agent.reconcile(reason: "reconnect")
        case .waiting(let error, _):
            try? await store.setLink("waiting", error: error, credentialRejected: false)
        case .stopped(let reason):
            try? await store.setLink("stopped", error: reason.rawValue, credentialRejected: reason == .credentialRejected)
        }
    }

    // MARK: - ReportSource

    public func pendingReports(limit: Int) async -> [OutboxItem] {
        ((try? await store.pendingReports(limit: limit)) ?? []).compactMap { row in
            (try? JSONValue.parse(row.payload)).map { OutboxItem(seq: row.seq, json: $0) }
        }
    }

    public func acknowledgeReports(upTo seq: Int64) async {
        try? await store.acknowledgeReports(upTo: seq)
    }

    public func uplinkFailed(_ error: String, credentialRejected: Bool) async {
        if credentialRejected {
            try? await store.setLink("stopped", error: "reports: \(error)", credentialRejected: true)
        }
    }

    // MARK: - Events

    func handle(_ decoded: Result<CloudMessage?, ConfigurationError>, type: String, newCommand: Bool) async -> String {
        switch decoded {
        case .failure(let error):
            logger.warning("cloud: rejected a \(type) event: \(error)")
            return "rejected: \(error)"
        case .success(.desired(let state)?): return await apply(state)
        case .success(.command(let command)?): return await run(command, isNew: newCommand)
        case .success(.urlUpdate(let update)?): return await apply(update)
        case .success(nil): return "ignored: unknown event type"
        }
    }

    private func apply(_ state: DesiredState) async -> String {
        do {
            if let stored = try await store.desiredState(), stored.origin == .cloud, state.revision <= stored.state.revision {
                return "ignored: stale revision \(state.revision) (applied \(stored.state.revision))"
            }
            try await store.saveDesiredState(state, origin: .cloud)
        } catch {
            return "failed: cannot store the desired state: \(error)"
        }
        await agent.apply(state, reason: "desired revision \(state.revision)")
        await reportState(force: true)
        return "applied revision \(state.revision)"
    }

    private func apply(_ update: URLUpdate) async -> String {
        var state = await agent.desiredState
        guard var camera = state.cameras[update.camera] else { return "rejected: unknown camera \(update.camera)" }
        do {
            if let ts = update.timestampMs, let last = try await store.lastURLUpdateTimestamp(camera: update.camera), ts <= last {
                return "ignored: stale url_update (timestamp \(Timestamp.rfc3339(milliseconds: ts)) is not after \(Timestamp.rfc3339(milliseconds: last)))"
            }
        } catch {
            return "failed: \(error)"
        }
        let oldRTSP: String? = if case .rtsp(let url) = camera.source { url } else { nil }
        let oldRTMP = camera.restream?.url
        if let rtsp = update.rtspURL { camera.source = .rtsp(url: rtsp) }
        if let rtmp = update.rtmpURL {
            do { camera.restream = rtmp.isEmpty ? nil : try Restream(url: rtmp) } catch { return "rejected: rtmp_url: \(error)" }
        }
        let newRTSP: String? = if case .rtsp(let url) = camera.source { url } else { nil }
        guard newRTSP != oldRTSP || camera.restream?.url != oldRTMP else { return "ignored: unchanged" }
        state.cameras[update.camera] = camera
        // The result must be a desired state the agent would accept from the cloud.
        do { state = try DesiredState(json: state.json, strict: false) } catch { return "rejected: \(error)" }
        do {
            try await store.recordURLChange(camera: update.camera, oldRTSP: oldRTSP, newRTSP: newRTSP, oldRTMP: oldRTMP,
                                            newRTMP: camera.restream?.url, origin: "sse", eventTimestampMs: update.timestampMs)
            try await store.saveDesiredState(state, origin: .cloud, recordingURLChanges: false)
        } catch {
            return "failed: cannot store the update: \(error)"
        }
        let deferred: Set<WorkloadKey> = update.restartRequired ? [] : Set(WorkloadRole.allCases.map { WorkloadKey(camera: update.camera, role: $0) })
        await agent.apply(state, reason: "url_update for \(update.camera)", deferRestart: deferred)
        await reportState(force: true)
        return update.restartRequired ? "applied url_update (restarted)" : "applied url_update (takes effect at the next restart)"
    }

    // MARK: - Commands

    private func run(_ command: Command, isNew: Bool) async -> String {
        guard isNew else { return "ignored: duplicate command \(command.id) (not run again)" }
        FaultPoints.hit("command-stored")
        return await execute(command)
    }

    /// Runs a stored, not yet started command and queues its ack.
    private func execute(_ command: Command) async -> String {
        let now = WallClock.nowMilliseconds()
        let (status, detail, result): (Report.AckStatus, String, JSONValue?)
        if command.isExpired(nowMs: now) {
            (status, detail, result) = (.expired, "expired at \(Timestamp.rfc3339(milliseconds: command.expiresAtMs ?? now))", nil)
        } else {
            switch command.kind {
            case nil:
                (status, detail, result) = (.rejected, "unknown command type \(CameraID.quoted(command.type))", nil)
            case .otaUpdate?:
                guard let refused = await startUpdate(command) else { return "running: handed to the updater" }
                (status, detail, result) = (refused.0, refused.1, nil)
            case .uploadRecording?:
                try? await store.markCommandRunning(command.id)
                (status, detail, result) = await queueUploads(command)
            case .restartCamera?, .snapshot?, .rescanHardware?:
                try? await store.markCommandRunning(command.id)
                (status, detail, result) = await perform(command)
                try? await store.logEvent(status == .succeeded ? .info : .warning, "command", camera: command.camera,
                                          "command \(command.id) (\(command.type)) executed: \(status.rawValue): \(detail)")
            }
        }
        await finish(command.id, status, detail, result)
        FaultPoints.hit("command-finished")
        return "\(status.rawValue): \(detail)"
    }

    private func perform(_ command: Command) async -> (Report.AckStatus, String, JSONValue?) {
        let desired = await agent.desiredState
        switch command.kind {
        case .restartCamera?:
            guard let camera = command.camera, desired.cameras[camera] != nil else { return (.rejected, "restart_camera needs a known camera", nil) }
            let running = await agent.runningWorkloads(of: camera)
            await agent.restartCamera(camera)
            return (.succeeded, "restarted \(running.map(\.role.rawValue).joined(separator: ", ").nonEmpty ?? "nothing running; failures forgotten")", nil)
        case .snapshot?:
            guard let camera = command.camera, desired.cameras[camera] != nil else { return (.rejected, "snapshot needs a known camera", nil) }
            return await snapshot(camera, command)
        case .rescanHardware?:
            let summary = await hardware.rescan()
            await agent.reconcile(reason: "rescan_hardware")
            return (.succeeded, summary, nil)
        default:
            return (.rejected, "not supported", nil)
        }
    }

    func finish(_ id: String, _ status: Report.AckStatus, _ detail: String, _ result: JSONValue?) async {
        let ack = Report.ack(commandID: id, status: status, detail: detail, result: result, atMs: WallClock.nowMilliseconds())
        do {
            try await store.finishCommand(id, status: status.rawValue, detail: Redactor.redact(detail), ack: ack.json)
            flush()
        } catch {
            logger.error("cloud: cannot record the ack of \(id): \(error)")
        }
    }

    /// After a restart: commands stored but never started run now; a
    /// command that was running when the agent died is not run again (at
    /// most once) and is acknowledged `failed`.
    public func resumeUnfinishedCommands() async {
        for stored in (try? await store.unfinishedCommands()) ?? [] {
            switch stored.state {
            case .received:
                let args = (try? JSONValue.parse(stored.args)) ?? .object([:])
                let command = Command(id: stored.id, type: stored.type, camera: stored.camera, args: args, expiresAtMs: stored.expiresAtMs)
                logger.info("cloud: running command \(stored.id) received before the restart")
                _ = await execute(command)
            case .running where stored.type == Command.Kind.otaUpdate.rawValue:
                break  // an update outlives agents: `settleUpdates` acks it from the updater's files
            case .running:
                await finish(stored.id, .failed, "interrupted by an agent restart; not run again (commands run at most once)", nil)
            case .done:
                break
            }
        }
    }

    // MARK: - Discovered cameras

    private var lastDiscovered: JSONValue?

    /// Reports V4L2 cameras the box has that the desired state does not use
    /// (when that set changed).
    public func reportDiscovered(_ inventory: Inventory) async {
        let desired = await agent.desiredState
        let used = Set(desired.cameras.values.compactMap { spec -> String? in if case .v4l2(let d) = spec.source { d } else { nil } })
        let unused = inventory.cameras.filter { node in
            node.kind == .capture && !used.contains(node.path) && !(node.byID.map(used.contains) ?? false) && !(node.byPath.map(used.contains) ?? false)
        }
        let cameras = JSONValue.array(unused.map { node in
            .object(["device": .string(node.stableID), "name": .string(node.card), "formats": .array(Inventory.formatSummary(node).map { .string($0) })])
        })
        guard cameras != lastDiscovered else { return }
        lastDiscovered = cameras
        guard case .array(let items) = cameras, !items.isEmpty else { return }
        do {
            try await store.enqueueReport(kind: "discovered", payload: .object(["kind": .string("discovered"), "cameras": cameras,
                                                                                 "at": .string(Timestamp.rfc3339(milliseconds: WallClock.nowMilliseconds()))]))
            flush()
        } catch {
            logger.error("cloud: cannot queue a discovered report: \(error)")
        }
    }

    // MARK: - State reports

    /// Queues a state report when the state changed since the last one (or
    /// when `force`d: after a desired change, on reconnect).
    public func reportState(force: Bool = false) async {
        guard let body = try? await StateReport.build(store: store, agent: agent, layout: layout) else { return }
        guard force || body != lastState else { return }
        lastState = body
        var item = body
        if case .object(var fields) = item {
            fields["at"] = .string(Timestamp.rfc3339(milliseconds: WallClock.nowMilliseconds()))
            item = .object(fields)
        }
        do {
            try await store.enqueueReport(kind: "state", payload: item)
            flush()
        } catch {
            logger.error("cloud: cannot queue a state report: \(error)")
        }
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
