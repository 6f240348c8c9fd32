/// An incremental parser for `text/event-stream`, following the WHATWG HTML
/// "server-sent events" parsing rules exactly:
///
/// - one leading U+FEFF (BOM) is stripped, only at the start of the stream;
/// - lines end with CR LF, LF or CR — also when the CR and the LF arrive in
///   different chunks;
/// - a line starting with `:` is a comment; a line without `:` is a field
///   with an empty value; exactly one space after the colon is removed;
/// - `data` lines are joined with LF and the final LF is removed;
/// - an `id` containing NUL is ignored; `retry` is used only when it is all
///   ASCII digits;
/// - an event is dispatched only on a blank line; the last event id is
///   committed at that moment even when the data is empty (no event then);
/// - a partial event at the end of the stream is dropped.
///
/// It works over any chunking, one byte at a time included, and is bounded:
/// an event (its data plus the line being read) larger than `maximumEventBytes`
/// is an error, and the caller drops the connection.
public struct SSEParser: Sendable {
    public struct Event: Hashable, Sendable {
        public var type: String
        public var data: String
        /// The last event id at dispatch (possibly set by an earlier event).
        public var lastEventID: String

        public init(type: String = "message", data: String, lastEventID: String = "") {
            self.type = type
            self.data = data
            self.lastEventID = lastEventID
        }
    }

    public struct TooLarge: Error, CustomStringConvertible, Sendable {
        public var limit: Int
        /// The id the oversized event announced before the limit was hit,
        /// if any: the client records it as skipped and resumes after it,
        /// so that one poisonous event cannot block the stream forever.
        public var eventID: String?
        public var description: String { "an event is larger than \(limit) bytes" + (eventID.map { " (id \($0))" } ?? "") }
    }

    public static let defaultMaximumEventBytes = 1 << 20

    public let maximumEventBytes: Int
    /// The committed last event id (sent back as `Last-Event-ID`).
    public private(set) var lastEventID = ""
    /// The reconnection time the server asked for, in milliseconds.
    public private(set) var retryMilliseconds: Int?

    private var line: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false
    private var eventType: [UInt8] = []
    private var idBuffer = ""
    private var idSetInThisEvent = false
    private var pendingBOM: [UInt8]? = []
    private var skipLineFeed = false

    public init(maximumEventBytes: Int = SSEParser.defaultMaximumEventBytes, lastEventID: String = "") {
        self.maximumEventBytes = maximumEventBytes
        self.lastEventID = lastEventID
        self.idBuffer = lastEventID
    }

    /// Feeds the next chunk; returns the events it completed.
    public mutating func feed(_ chunk: some Sequence<UInt8>) throws(TooLarge) -> [Event] {
        var events: [Event] = []
        for byte in chunk {
            if var bom = pendingBOM {
                // Hold back up to three bytes until we know whether they are a BOM.
                bom.append(byte)
                let prefix: [UInt8] = [0xEF, 0xBB, 0xBF]
                if bom == prefix {
                    pendingBOM = nil
                } else if Array(prefix.prefix(bom.count)) == bom {
                    pendingBOM = bom
                } else {
                    pendingBOM = nil
                    for held in bom { try consume(held, into: &events) }
                }
                continue
            }
            try consume(byte, into: &events)
        }
        return events
    }

    /// The stream ended: whatever was not terminated by a blank line is dropped.
    public mutating func finish() {
        line.removeAll()
        data.removeAll()
        hasData = false
        eventType.removeAll()
        pendingBOM = nil
        skipLineFeed = false
        idSetInThisEvent = false
        idBuffer = lastEventID
    }

    private mutating func consume(_ byte: UInt8, into events: inout [Event]) throws(TooLarge) {
        if skipLineFeed {
            skipLineFeed = false
            if byte == 0x0A { return }
        }
        switch byte {
        case 0x0D:
            skipLineFeed = true
            processLine(into: &events)
        case 0x0A:
            processLine(into: &events)
        default:
            line.append(byte)
            if line.count + data.count > maximumEventBytes {
                throw TooLarge(limit: maximumEventBytes, eventID: idSetInThisEvent ? idBuffer : nil)
            }
        }
    }

    private mutating func processLine(into events: inout [Event]) {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            dispatch(into: &events)
            return
        }
        if line[0] == UInt8(ascii: ":") { return }
        let field: ArraySlice<UInt8>
        var value: ArraySlice<UInt8>
        if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            field = line[..<colon]
            value = line[(colon + 1)...]
            if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
        } else {
            field = line[...]
            value = []
        }
        switch String(decoding: field, as: UTF8.self) {
        case "event":
            eventType = Array(value)
        case "data":
            data.append(contentsOf: value)
            data.append(0x0A)
            hasData = true
        case "id":
            if !value.contains(0) {
                idBuffer = String(decoding: value, as: UTF8.self)
                idSetInThisEvent = true
            }
        case "retry":
            if !value.isEmpty, value.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                retryMilliseconds = Int(String(decoding: value, as: UTF8.self)) ?? Int.max
            }
        default:
            break
        }
    }

    private mutating func dispatch(into events: inout [Event]) {
        lastEventID = idBuffer
        idSetInThisEvent = false
        defer {
            data.removeAll(keepingCapacity: true)
            hasData = false
            eventType.removeAll()
        }
        guard hasData, !data.isEmpty else { return }
        if data.last == 0x0A { data.removeLast() }
        let type = eventType.isEmpty ? "message" : String(decoding: eventType, as: UTF8.self)
        events.append(Event(type: type, data: String(decoding: data, as: UTF8.self), lastEventID: lastEventID))
    }
}
