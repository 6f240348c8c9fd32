import CamgateCore
import Platform

/// What the simulated cloud knows: the device's credentials, its event log
/// (ids only grow), the desired state's revision, the fault switches, and
/// every report and upload it received. One actor owns it all.
actor SimulatorState {
    struct Event: Sendable {
        var id: Int
        var type: String
        var data: String
        /// Wall-clock microseconds when it was first written to a stream.
        var firstWrittenAtUs: Int64?
    }

    enum Outgoing: Sendable {
        case event(id: Int, type: String, data: String)
        case raw(String)
        case ping
        case close
    }

    struct Faults: Sendable {
        /// Close every stream this many seconds after it opened.
        var dropEverySeconds: Double?
        /// Answer the event stream with this status (500, 503, 204, 401, 403…).
        var eventsStatus: Int?
        /// Answer the event stream with this Content-Type.
        var contentType: String?
        /// Write this many garbage bytes when a stream opens.
        var garbageBytes: Int?
        /// Send the headers, then nothing at all (no pings).
        var stall = false
        /// Answer reports with this status.
        var reportsStatus: Int?
        /// Redirect the event stream (307) to /redirected/…
        var redirect = false
        /// Enrollment: answer the next requests with these statuses, one
        /// each, before answering normally (503, 500…).
        var enrollStatuses: [Int] = []
        /// Enrollment: answer 200 with a body that is not the contract's.
        var enrollGarbage = false
        /// Enrollment: answer 307 to this URL.
        var enrollRedirect: String?

        var json: JSONValue {
            .object([
                "drop_every_s": dropEverySeconds.map { .double($0) } ?? .null,
                "events_status": eventsStatus.map { .int(Int64($0)) } ?? .null,
                "content_type": contentType.map { .string($0) } ?? .null,
                "garbage_bytes": garbageBytes.map { .int(Int64($0)) } ?? .null,
                "stall": .bool(stall), "reports_status": reportsStatus.map { .int(Int64($0)) } ?? .null,
                "redirect": .bool(redirect),
                "enroll_statuses": .array(enrollStatuses.map { .int(Int64($0)) }),
                "enroll_garbage": .bool(enrollGarbage), "enroll_redirect": enrollRedirect.map { .string($0) } ?? .null,
            ])
        }
    }

    let deviceID: String
    var token: String
    var revoked = false
    var enrollmentTokens: Set<String>
    var usedEnrollmentTokens: Set<String> = []
    var events: [Event] = []
    var revision: Int64 = 0
    var faults = Faults()
    var pingInterval: Duration
    var reports: [Int64: JSONValue] = [:]
    var duplicateReports = 0
    var reportPosts = 0
    var uploads: [String: Int] = [:]
    var connections = 0
    var lastEventIDs: [String] = []
    /// The headers of the last event-stream request (token masked).
    var lastRequestHeaders: [String: String] = [:]
    private var streams: [Int: AsyncStream<Outgoing>.Continuation] = [:]
    private var nextStreamID = 0
    private var nextCommand = 0
    let stateFile: String?

    init(deviceID: String, token: String, enrollmentTokens: Set<String>, pingInterval: Duration, stateFile: String?) {
        self.deviceID = deviceID
        self.token = token
        self.enrollmentTokens = enrollmentTokens
        self.pingInterval = pingInterval
        self.stateFile = stateFile
    }

    // MARK: - Persistence (so that a restarted simulator is the same cloud)

    func load() {
        guard let stateFile, let text = try? FileSystem.readText(stateFile), let json = try? JSONValue.parse(text) else { return }
        revision = json["revision"]?.int64Value ?? 0
        if let t = json["token"]?.stringValue { token = t }
        if case .array(let items)? = json["events"] {
            events = items.compactMap { item in
                guard let id = item["id"]?.int64Value, let type = item["type"]?.stringValue, let data = item["data"]?.stringValue else { return nil }
                return Event(id: Int(id), type: type, data: data)
            }
        }
        if case .array(let items)? = json["reports"] {
            for item in items { if let seq = item["seq"]?.int64Value { reports[seq] = item } }
        }
    }

    private func save() {
        guard let stateFile else { return }
        let json = JSONValue.object([
            "revision": .int(revision), "token": .string(token),
            "events": .array(events.map { .object(["id": .int(Int64($0.id)), "type": .string($0.type), "data": .string($0.data)]) }),
            "reports": .array(reports.keys.sorted().map { reports[$0]! }),
        ])
        try? FileSystem.writeAtomically(stateFile, Array(json.serialized().utf8), mode: 0o600)
    }

    // MARK: - Auth

    func authorized(_ header: String?) -> Bool {
        !revoked && header == "Bearer \(token)"
    }

    /// The enrollment requests received, without their tokens (tests read them back).
    var enrollments: [JSONValue] = []

    /// `POST /v1/enroll` (docs/protocol.md), with the enrollment faults.
    func enroll(_ request: JSONValue) -> (status: Int, body: JSONValue, location: String?) {
        if case .object(var fields) = request {
            fields["enrollment_token"] = nil
            enrollments.append(.object(fields))
        }
        if !faults.enrollStatuses.isEmpty {
            return (faults.enrollStatuses.removeFirst(), .object(["error": .string("fault injected")]), nil)
        }
        if let location = faults.enrollRedirect { return (307, .object([:]), location) }
        guard let token = request["enrollment_token"]?.stringValue else {
            return (400, .object(["error": .string("enrollment_token is required")]), nil)
        }
        let (status, body) = enroll(token)
        if status == 201, faults.enrollGarbage { return (200, .object(["hello": .string("world")]), nil) }
        return (status, body, nil)
    }

    func enroll(_ enrollmentToken: String) -> (status: Int, body: JSONValue) {
        if usedEnrollmentTokens.contains(enrollmentToken) { return (409, .object(["error": .string("enrollment token already used")])) }
        guard enrollmentTokens.contains(enrollmentToken) else { return (401, .object(["error": .string("bad enrollment token")])) }
        usedEnrollmentTokens.insert(enrollmentToken)
        revoked = false
        save()
        return (201, .object(["device_id": .string(deviceID), "device_token": .string(token)]))
    }

    func revoke() {
        revoked = true
        closeAll()
    }

    func setToken(_ new: String) {
        token = new
        revoked = false
        save()
    }

    // MARK: - Events

    @discardableResult
    func append(type: String, data: String) -> Int {
        let id = (events.last?.id ?? 0) + 1
        events.append(Event(id: id, type: type, data: data))
        for continuation in streams.values { continuation.yield(.event(id: id, type: type, data: data)) }
        save()
        return id
    }

    /// Appends a desired state, giving it the next revision unless it asks
    /// for a larger one. `"force_revision": true` sends the revision asked
    /// as is (to test one going backwards) without moving the counter back.
    func appendDesired(_ document: JSONValue) -> (id: Int, revision: Int64) {
        guard case .object(var fields) = document else { return (0, revision) }
        let asked = fields["revision"]?.int64Value
        let forced = fields["force_revision"] == .bool(true)
        fields["force_revision"] = nil
        let assigned = forced ? (asked ?? revision) : max(revision + 1, asked ?? 0)
        revision = max(revision, assigned)
        fields["revision"] = .int(assigned)
        return (append(type: "desired", data: JSONValue.object(fields).serialized()), assigned)
    }

    func appendCommand(_ document: JSONValue) -> Int {
        guard case .object(var fields) = document else { return 0 }
        if fields["id"] == nil {
            nextCommand += 1
            fields["id"] = .string("c-\(nextCommand)-\(events.count + 1)")
        }
        return append(type: "command", data: JSONValue.object(fields).serialized())
    }

    func writeRaw(_ text: String) {
        for continuation in streams.values { continuation.yield(.raw(text)) }
    }

    func closeAll() {
        for continuation in streams.values { continuation.yield(.close) }
    }

    /// What a new connection gets first: the latest desired state when the
    /// client already has it (a re-send; its revision is not newer), then
    /// every event after `lastEventID`, in id order.
    func register(lastEventID: String?) -> (id: Int, stream: AsyncStream<Outgoing>) {
        connections += 1
        lastEventIDs.append(lastEventID ?? "")
        let (stream, continuation) = AsyncStream.makeStream(of: Outgoing.self)
        nextStreamID += 1
        streams[nextStreamID] = continuation
        let after = lastEventID.flatMap(Int.init) ?? 0
        if let desired = events.last(where: { $0.type == "desired" }), desired.id <= after {
            // Re-sent without its id: per WHATWG any id the client reads
            // becomes its last event id, and an older one would move its
            // resume point back (and replay everything after it).
            continuation.yield(.raw(SimulatorServer.encode(id: nil, type: desired.type, data: desired.data)))
        }
        for event in events where event.id > after {
            continuation.yield(.event(id: event.id, type: event.type, data: event.data))
        }
        return (nextStreamID, stream)
    }

    func unregister(_ id: Int) {
        streams.removeValue(forKey: id)?.finish()
    }

    func noteHeaders(_ headers: [(String, String)]) {
        var out: [String: String] = [:]
        for (name, value) in headers {
            out[name.lowercased()] = name.lowercased() == "authorization" ? (value == "Bearer \(token)" ? "Bearer <token>" : "Bearer <other>") : value
        }
        lastRequestHeaders = out
    }

    func noteWritten(_ id: Int, atUs: Int64) {
        if let index = events.firstIndex(where: { $0.id == id }), events[index].firstWrittenAtUs == nil {
            events[index].firstWrittenAtUs = atUs
        }
    }

    var openStreams: Int { streams.count }

    // MARK: - Reports

    func receiveReports(_ items: [JSONValue]) -> Int64 {
        reportPosts += 1
        for item in items {
            guard let seq = item["seq"]?.int64Value else { continue }
            if reports[seq] != nil { duplicateReports += 1 } else { reports[seq] = item }
        }
        save()
        return reports.keys.max() ?? 0
    }

    func upload(_ name: String, bytes: Int) {
        uploads[name] = bytes
    }

    // MARK: - Upload targets

    /// Every `POST …/uploads` body, with the status answered (tests count them).
    var uploadRequests: [JSONValue] = []
    var uploadStatuses: [Int] = []
    var expireUploads = 0

    func setUploadFaults(_ json: JSONValue) {
        if case .array(let items)? = json["statuses"] { uploadStatuses = items.compactMap { $0.int64Value.map(Int.init) } }
        if let n = json["expire"]?.int64Value { expireUploads = Int(n) }
    }

    /// Logs the request and takes the next fault, if any.
    func takeUploadFault(_ body: JSONValue?) -> (index: Int, status: Int?, expire: Bool) {
        uploadRequests.append(.object(["request": body ?? .null, "status": .null]))
        let index = uploadRequests.count - 1
        if !uploadStatuses.isEmpty {
            let status = uploadStatuses.removeFirst()
            noteUploadAnswer(index, status: status)
            return (index, status, false)
        }
        guard expireUploads > 0 else { return (index, nil, false) }
        expireUploads -= 1
        return (index, nil, true)
    }

    func noteUploadAnswer(_ index: Int, status: Int) {
        guard uploadRequests.indices.contains(index) else { return }
        uploadRequests[index] = .object(["request": uploadRequests[index]["request"] ?? .null, "status": .int(Int64(status))])
    }

    var uploadRequestsJSON: JSONValue { .object(["requests": .array(uploadRequests)]) }

    // MARK: - Control output

    var reportsJSON: JSONValue {
        .object(["items": .array(reports.keys.sorted().map { reports[$0]! }), "duplicates": .int(Int64(duplicateReports)),
                 "posts": .int(Int64(reportPosts))])
    }

    var statsJSON: JSONValue {
        .object([
            "connections": .int(Int64(connections)), "open_streams": .int(Int64(streams.count)),
            "last_event_ids": .array(lastEventIDs.map { .string($0) }), "events": .int(Int64(events.count)),
            "last_request_headers": .object(lastRequestHeaders.mapValues { .string($0) }),
            "revision": .int(revision), "faults": faults.json,
            "uploads": .object(uploads.mapValues { .int(Int64($0)) }),
            "enrollments": .array(enrollments),
        ])
    }

    func eventJSON(_ id: Int) -> JSONValue? {
        events.first { $0.id == id }.map { e in
            .object(["id": .int(Int64(e.id)), "type": .string(e.type), "data": .string(e.data),
                     "written_at_us": e.firstWrittenAtUs.map { .int($0) } ?? .null])
        }
    }

    func setFaults(_ json: JSONValue) {
        func double(_ key: String) -> Double? {
            switch json[key] { case .int(let i)?: Double(i); case .double(let d)?: d; default: nil }
        }
        if json["clear"] == .bool(true) { faults = Faults() }
        if json["drop_every_s"] != nil { faults.dropEverySeconds = double("drop_every_s") }
        if json["events_status"] != nil { faults.eventsStatus = json["events_status"]?.int64Value.map(Int.init) }
        if json["content_type"] != nil { faults.contentType = json["content_type"]?.stringValue }
        if json["garbage_bytes"] != nil { faults.garbageBytes = json["garbage_bytes"]?.int64Value.map(Int.init) }
        if case .bool(let b)? = json["stall"] { faults.stall = b }
        if json["reports_status"] != nil { faults.reportsStatus = json["reports_status"]?.int64Value.map(Int.init) }
        if case .bool(let b)? = json["redirect"] { faults.redirect = b }
        if case .array(let items)? = json["enroll_statuses"] { faults.enrollStatuses = items.compactMap { $0.int64Value.map(Int.init) } }
        if case .bool(let b)? = json["enroll_garbage"] { faults.enrollGarbage = b }
        if json["enroll_redirect"] != nil { faults.enrollRedirect = json["enroll_redirect"]?.stringValue }
        if let ping = double("ping_interval_s"), ping > 0 { pingInterval = .milliseconds(Int64(ping * 1000)) }
    }
}
