import Testing
@testable import CloudLink
import TestSupport

/// The WHATWG HTML server-sent-events parsing rules, case by case, and the
/// same results over every way of cutting the stream into chunks.
@Suite struct SSEParserTests {
    typealias Event = SSEParser.Event

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var stream: String
        var events: [Event]
        var lastEventID = ""
        var retry: Int?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "one event", stream: "data: hello\n\n", events: [Event(data: "hello")]),
        Case(name: "typed event with id", stream: "id: 7\nevent: desired\ndata: {}\n\n",
             events: [Event(type: "desired", data: "{}", lastEventID: "7")], lastEventID: "7"),
        Case(name: "data lines are joined with LF, last LF removed", stream: "data: a\ndata: b\ndata:\n\n", events: [Event(data: "a\nb\n")]),
        Case(name: "exactly one leading space is removed", stream: "data:  two spaces\ndata:none\n\n", events: [Event(data: " two spaces\nnone")]),
        Case(name: "CR line endings", stream: "data: a\rdata: b\r\r", events: [Event(data: "a\nb")]),
        Case(name: "CRLF line endings", stream: "data: a\r\ndata: b\r\n\r\n", events: [Event(data: "a\nb")]),
        Case(name: "mixed line endings", stream: "data: a\r\ndata: b\rdata: c\n\r\n", events: [Event(data: "a\nb\nc")]),
        Case(name: "comments are ignored", stream: ": ping\n:\ndata: x\n: another\n\n", events: [Event(data: "x")]),
        Case(name: "a field without a colon has an empty value", stream: "data\ndata\n\n", events: [Event(data: "\n")]),
        Case(name: "event with no data is not dispatched", stream: "event: desired\n\ndata: y\n\n", events: [Event(data: "y")]),
        Case(name: "empty data line dispatches an empty event", stream: "data:\n\n", events: [Event(data: "")]),
        Case(name: "the event type resets after dispatch", stream: "event: a\ndata: 1\n\ndata: 2\n\n", events: [Event(type: "a", data: "1"), Event(data: "2")]),
        Case(name: "unknown fields are ignored", stream: "foo: bar\ndata: z\nDATA: no\n\n", events: [Event(data: "z")]),
        Case(name: "id persists across events", stream: "id: 1\ndata: a\n\ndata: b\n\n",
             events: [Event(data: "a", lastEventID: "1"), Event(data: "b", lastEventID: "1")], lastEventID: "1"),
        Case(name: "id with NUL is ignored", stream: "id: 1\ndata: a\n\nid: 2\u{0}x\ndata: b\n\n",
             events: [Event(data: "a", lastEventID: "1"), Event(data: "b", lastEventID: "1")], lastEventID: "1"),
        Case(name: "empty id resets the last event id", stream: "id: 5\ndata: a\n\nid\ndata: b\n\n",
             events: [Event(data: "a", lastEventID: "5"), Event(data: "b", lastEventID: "")], lastEventID: ""),
        Case(name: "last event id is committed even without data", stream: "id: 9\n\n", events: [], lastEventID: "9"),
        Case(name: "id is not committed without a blank line", stream: "id: 1\ndata: a\n\nid: 2\n", events: [Event(data: "a", lastEventID: "1")], lastEventID: "1"),
        Case(name: "partial event at end of stream is dropped", stream: "data: a\n\ndata: partial", events: [Event(data: "a")]),
        Case(name: "partial event with complete lines is dropped", stream: "data: a\n\ndata: b\n", events: [Event(data: "a")]),
        Case(name: "retry with digits", stream: "retry: 5000\n\n", events: [], retry: 5000),
        Case(name: "retry with non-digits is ignored", stream: "retry: 5s\nretry: -1\nretry: \nretry: 1.5\n\n", events: []),
        Case(name: "retry keeps the last valid value", stream: "retry: 100\nretry: x\n\n", events: [], retry: 100),
        Case(name: "a leading BOM is stripped", stream: "\u{FEFF}data: a\n\n", events: [Event(data: "a")]),
        Case(name: "only one leading BOM is stripped", stream: "\u{FEFF}\u{FEFF}data: a\n\n", events: []),
        Case(name: "a BOM later is data", stream: "data: \u{FEFF}x\n\n", events: [Event(data: "\u{FEFF}x")]),
        Case(name: "colon in the value is kept", stream: "data: a: b:c\n\n", events: [Event(data: "a: b:c")]),
        Case(name: "space before the colon is part of the field name", stream: "data : x\n\n", events: []),
        Case(name: "UTF-8 is decoded", stream: "data: caméra 📷\n\n", events: [Event(data: "caméra 📷")]),
        Case(name: "blank lines alone dispatch nothing", stream: "\n\n\n", events: []),
        Case(name: "NUL in data is kept", stream: "data: a\u{0}b\ndata: \u{0}\n\n", events: [Event(data: "a\u{0}b\n\u{0}")]),
        Case(name: "an id with non-ASCII characters is valid", stream: "id: ünï-📷\ndata: x\n\n",
             events: [Event(data: "x", lastEventID: "ünï-📷")], lastEventID: "ünï-📷"),
        Case(name: "an id with control characters other than NUL is valid", stream: "id: a\u{1}\tb\u{7F}\ndata: x\n\n",
             events: [Event(data: "x", lastEventID: "a\u{1}\tb\u{7F}")], lastEventID: "a\u{1}\tb\u{7F}"),
        Case(name: "an empty id without data resets the last event id", stream: "id: 5\n\nid:\n\n", events: [], lastEventID: ""),
    ]

    func parse(_ chunks: [[UInt8]]) throws -> (events: [Event], parser: SSEParser) {
        var parser = SSEParser()
        var events: [Event] = []
        for chunk in chunks { events += try parser.feed(chunk) }
        parser.finish()
        return (events, parser)
    }

    @Test(arguments: cases)
    func followsTheWHATWGRules(_ c: Case) throws {
        let (events, parser) = try parse([Array(c.stream.utf8)])
        #expect(events == c.events)
        #expect(parser.lastEventID == c.lastEventID)
        #expect(parser.retryMilliseconds == c.retry)
    }

    @Test(arguments: cases)
    func givesTheSameResultOneByteAtATime(_ c: Case) throws {
        let (events, parser) = try parse(c.stream.utf8.map { [$0] })
        #expect(events == c.events)
        #expect(parser.lastEventID == c.lastEventID)
    }

    @Test(arguments: cases)
    func givesTheSameResultCutAnywhereInTwo(_ c: Case) throws {
        let bytes = Array(c.stream.utf8)
        for cut in 0...bytes.count {
            let (events, parser) = try parse([Array(bytes[..<cut]), Array(bytes[cut...])])
            #expect(events == c.events, "cut at \(cut)")
            #expect(parser.lastEventID == c.lastEventID, "cut at \(cut)")
        }
    }

    @Test func crAndLFInDifferentChunksAreOneLineEnd() throws {
        var parser = SSEParser()
        var events = try parser.feed(Array("data: a\r".utf8))
        events += try parser.feed(Array("\ndata: b\r".utf8))
        events += try parser.feed(Array("\n\r".utf8))
        events += try parser.feed(Array("\n".utf8))
        #expect(events == [Event(data: "a\nb")])
    }

    @Test func randomChunkingNeverChangesTheResult() throws {
        let stream = Self.cases.map(\.stream).filter { !$0.hasPrefix("\u{FEFF}") }.joined()
        let bytes = Array(stream.utf8)
        let expected = try parse([bytes]).events
        var rng = seededGenerator("randomChunkingNeverChangesTheResult")
        for _ in 0..<200 {
            var chunks: [[UInt8]] = []
            var i = 0
            while i < bytes.count {
                let n = Int.random(in: 1...17, using: &rng)
                chunks.append(Array(bytes[i..<min(i + n, bytes.count)]))
                i += n
            }
            #expect(try parse(chunks).events == expected)
        }
    }

    @Test func anEventOverTheLimitIsAnError() throws {
        var parser = SSEParser(maximumEventBytes: 1024)
        #expect(try parser.feed(Array("data: \(String(repeating: "x", count: 1000))\n\n".utf8)).count == 1)
        #expect(throws: SSEParser.TooLarge.self) {
            _ = try parser.feed(Array("data: \(String(repeating: "x", count: 600))\ndata: \(String(repeating: "y", count: 600))\n".utf8))
        }
        var unterminated = SSEParser(maximumEventBytes: 1024)
        #expect(throws: SSEParser.TooLarge.self) {
            _ = try unterminated.feed([UInt8](repeating: 0x41, count: 2000))
        }
    }

    @Test func startsFromAStoredLastEventID() throws {
        var parser = SSEParser(lastEventID: "41")
        #expect(try parser.feed(Array("data: x\n\n".utf8)) == [Event(data: "x", lastEventID: "41")])
    }
}
