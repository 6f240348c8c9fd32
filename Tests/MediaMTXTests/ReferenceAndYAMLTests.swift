import Foundation
import Testing
import CamgateCore
@testable import MediaMTX
import TestSupport

/// The reference configuration of MediaMTX v1.20.1 (Tests/Fixtures/mediamtx).
enum Reference {
    static let text = try! String(contentsOfFile: Repository.fixture("mediamtx/mediamtx.yml"), encoding: .utf8)
    static let document = try! YAMLParser.parse(text)
}

@Suite struct MediaMTXReferenceTests {
    @Test func theEmbeddedTableHasExactlyTheReferencePathSettings() throws {
        let defaults = try #require(Reference.document["pathDefaults"])
        #expect(Set(defaults.keys) == Set(MediaMTXReference.pathKeys.keys))
        let globals = Reference.document.keys.filter { $0 != "pathDefaults" && $0 != "paths" }
        #expect(Set(globals) == Set(MediaMTXReference.globalKeys.keys))
    }

    @Test func theEmbeddedTypesAgreeWithTheReferenceDefaults() throws {
        let defaults = try #require(Reference.document["pathDefaults"])
        for key in defaults.keys {
            let value = defaults[key]!
            let kind = MediaMTXReference.pathKeys[key]!
            #expect(MediaMTXValidation.matches(value, kind), "\(key): \(value) is not \(kind)")
        }
        #expect(MediaMTXReference.pathKeys["runOnDemandCloseAfter"] == .duration)
        #expect(MediaMTXReference.pathKeys["runOnDemandRestart"] == .boolean)
    }

    @Test func theReferenceSaysWhatFACTSSays() throws {
        let defaults = try #require(Reference.document["pathDefaults"])
        #expect(defaults["runOnDemandCloseAfter"] == .string("10s"))
        #expect(defaults["runOnDemandStartTimeout"] == .string("10s"))
        #expect(defaults["recordDeleteAfter"] == .string("1d"))
        #expect(Reference.document["api"] == .bool(false))
        #expect(Reference.document["apiAddress"] == .string(":9997"))
    }
}

@Suite struct YAMLParserTests {
    @Test func readsTheSubsetMediaMTXUses() throws {
        let doc = try YAMLParser.parse("""
        # comment
        a: 1
        b: "two # not a comment"
        c: [udp, "x y", 3]
        d:
          e: true  # trailing comment
          f:
        g:
          - user: any
            ips: ["127.0.0.1", "::1"]
          - plain
        h: 'it''s'
        i: :9997
        j: {}
        """)
        #expect(doc["a"] == .int(1))
        #expect(doc["b"] == .string("two # not a comment"))
        #expect(doc["c"] == .sequence([.string("udp"), .string("x y"), .int(3)]))
        #expect(doc["d"]?["e"] == .bool(true) && doc["d"]?["f"] == .null)
        #expect(doc["g"] == .sequence([.mapping([("user", .string("any")), ("ips", .sequence([.string("127.0.0.1"), .string("::1")]))]), .string("plain")]))
        #expect(doc["h"] == .string("it's"))
        #expect(doc["i"] == .string(":9997"))
        #expect(doc["j"] == .mapping([]))
    }

    @Test(arguments: [
        ("a:\n\tb: 1", "tabs"),
        ("a: 1\na: 2", "duplicate key a"),
        ("a: &anchor 1", "unsupported"),
        ("a: |\n  text", "unsupported"),
        ("a: \"open", "unterminated"),
        ("a: {b: 1}", "flow mappings"),
        ("a: 1\n   b: 2", "indentation"),
        ("just text", "expected 'key: value'"),
    ])
    func refusesWhatItCannotReadEntirely(_ text: String, _ expected: String) {
        #expect { try YAMLParser.parse(text) } throws: { "\($0)".contains(expected) }
    }

    @Test func parsesTheWholeReferenceFile() throws {
        #expect(Reference.document.keys.count > 100)
        #expect(Reference.document["paths"]?["all_others"] != nil)
        #expect(Reference.document["authInternalUsers"].map { if case .sequence(let s) = $0 { s.count } else { 0 } } == 2)
    }

    @Test func writesStringsThatReadBack() throws {
        for s in ["plain", "yes", "no", "on", "10s", "with \"quotes\" and \\ backslash", "line\nbreak", "tab\tand unicode é 📷", "# hash", "- dash", ": colon", "{brace}", ""] {
            #expect(try YAMLParser.parse("k: \(YAMLWriter.quote(s))")["k"] == .string(s), "\(s)")
        }
    }

    /// Line breaks YAML knows beyond LF (NEL, LS, PS), C1 controls, a BOM,
    /// a combining mark right after the opening quote: all escaped, so the
    /// written line is ASCII and reads back the same here and in PyYAML.
    @Test func unicodeLineBreaksAndNonPrintablesAreEscaped() throws {
        let hostile = ["a\u{85}b", "a\u{2028}b", "a\u{2029}b", "\u{FEFF}bom", "\u{301}combining", "c1\u{9F}", "nul\u{0}", "del\u{7F}", "📷\u{10FFFF}", "\r\n"]
        let dir = TemporaryDirectory("yaml-escapes")
        var lines: [String] = []
        for (i, s) in hostile.enumerated() {
            let quoted = YAMLWriter.quote(s)
            #expect(quoted.unicodeScalars.allSatisfy { $0.isASCII && $0.value >= 0x20 && $0.value != 0x7F }, "\(quoted)")
            #expect(try YAMLParser.parse("k: \(quoted)")["k"] == .string(s), "\(quoted)")
            lines.append("k\(i): \(quoted)")
        }
        try lines.joined(separator: "\n").write(toFile: dir.file("x.yml"), atomically: true, encoding: .utf8)
        let script = "import json,sys,yaml; d=yaml.safe_load(open(sys.argv[1])); print(json.dumps([d['k%d' % i] for i in range(len(d))], ensure_ascii=True))"
        let result = try runProgram("/usr/bin/python3", ["-c", script, dir.file("x.yml")])
        #expect(try JSONValue.parse(result.output) == .array(hostile.map { .string($0) }), "\(result.output)")
    }
}

@Suite struct ShellQuoteTests {
    /// go-shellquote's own test table (unquote_test.go).
    @Test(arguments: [
        ("hello", ["hello"]),
        ("hello goodbye", ["hello", "goodbye"]),
        ("hello   goodbye", ["hello", "goodbye"]),
        ("glob* test?", ["glob*", "test?"]),
        ("don\\'t you know the dewey decimal system\\?", ["don't", "you", "know", "the", "dewey", "decimal", "system?"]),
        ("'don'\\''t you know the dewey decimal system?'", ["don't you know the dewey decimal system?"]),
        ("one '' two", ["one", "", "two"]),
        ("text with\\\na backslash-escaped newline", ["text", "witha", "backslash-escaped", "newline"]),
        ("text \"with\na\" quoted newline", ["text", "with\na", "quoted", "newline"]),
        ("\"quoted\\d\\\\\\\" text with\\\na backslash-escaped newline\"", ["quoted\\d\\\" text witha backslash-escaped newline"]),
        ("text with an escaped \\\n newline in the middle", ["text", "with", "an", "escaped", "newline", "in", "the", "middle"]),
        ("foo\"bar\"baz", ["foobarbaz"]),
        ("a;b | c > d $HOME", ["a;b", "|", "c", ">", "d", "$HOME"]),
    ])
    func splitsLikeGoShellquote(_ input: String, _ words: [String]) throws {
        #expect(try ShellQuote.split(input) == words)
    }

    @Test(arguments: [
        ("don't worry", ShellQuote.SplitError.unterminatedSingleQuote),
        ("'test'\\''ing", .unterminatedSingleQuote),
        ("\"foo'bar", .unterminatedDoubleQuote),
        ("foo\\", .unterminatedEscape),
    ])
    func reportsUnterminatedInput(_ input: String, _ error: ShellQuote.SplitError) {
        #expect(throws: error) { try ShellQuote.split(input) }
    }

    /// go-shellquote splits runes: CR LF is two of them (only LF separates),
    /// and a quote stays a quote with a combining mark after it.
    @Test(arguments: [
        ("a\r\nb", ["a\r", "b"]),
        ("'\u{301}x' y", ["\u{301}x", "y"]),
        ("\"\u{301}\" z", ["\u{301}", "z"]),
        ("\\\u{301}q", ["\u{301}q"]),
    ])
    func splitsUnicodeScalarsNotGraphemes(_ input: String, _ words: [String]) throws {
        #expect(try ShellQuote.split(input) == words)
    }

    @Test func quotingSurvivesSplittingForHostileWords() throws {
        let hostile = ["", " ", "a b", "it's", "\"double\"", "back\\slash", "semi;colon", "pipe|x", "new\nline", "tab\t", "$HOME", "${X}", "`cmd`",
                       "*glob?", "~user", "-rf", "--opt=val", "é📷", "'", "''", "\\", "\\'", "a'b\"c\\d",
                       "'\u{301}", "\u{301}'", "a\r\nb", "\r\n", "\u{85}", "\u{2028}"]
        #expect(try ShellQuote.split(ShellQuote.join(hostile)) == hostile)
        var rng = seededGenerator("quotingSurvivesSplittingForHostileWords")
        let alphabet = Array(" \t\n\r'\"\\$;|&<>*?~`#a0é-=\u{301}".unicodeScalars).map(Character.init)
        for _ in 0..<500 {
            let words = (0..<Int.random(in: 1...5, using: &rng)).map { _ in String((0..<Int.random(in: 0...8, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }) }
            #expect(try ShellQuote.split(ShellQuote.join(words)) == words, "\(words)")
        }
    }
}
