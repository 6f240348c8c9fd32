import Testing
@testable import CamgateCore

/// A JSON syntax error names its line and column (in characters) and what
/// was expected there, whatever the error.
@Suite struct JSONSyntaxTests {
    @Test(arguments: [
        (#"{"cameras": "#, 1, 13, "a value"),
        ("{\n  \"a\": 1,\n  \"b\": 2\n  \"c\": 3\n}", 4, 3, "',' or '}' after an object member"),
        (#"{"a": [1, 2,]}"#, 1, 13, "a value"),
        (#"{"a": [1 2]}"#, 1, 10, "',' or ']' after an array element"),
        (#"{"a": tru}"#, 1, 10, "true"),
        ("{a: 1}", 1, 2, "a member name in double quotes"),
        (#"{"a" 1}"#, 1, 6, "':' after a member name"),
        ("[01]", 1, 2, "a number without a leading zero"),
        ("[1.]", 1, 4, "a digit after the decimal point"),
        (#""a\qb""#, 1, 4, "an escape"),
        ("\"a\tb\"", 1, 3, "the end of the string"),
        (#"["abc"#, 1, 6, "the closing '\"' of a string"),
        ("{} x", 1, 4, "the end of the document"),
        ("\r\n\r\n{", 3, 2, "a member name in double quotes"),
        ("{\"é📷\": x}", 1, 8, "a value"),
        ("", 1, 1, "a value"),
    ])
    func namesLineColumnAndWhatWasExpected(_ text: String, _ line: Int, _ column: Int, _ expected: String) throws {
        let error = try #require(JSONSyntaxError.locate(in: Array(text.utf8)), "\(text.debugDescription) was accepted")
        #expect(error.line == line && error.column == column, "\(text.debugDescription): \(error)")
        #expect(error.expected.hasPrefix(expected), "\(error)")
    }

    @Test(arguments: ["{}", "[]", "0", "-1.5e+3", "2E-7", #""\u00e9\n""#, #"{"a": [true, false, null, {"b": []}], "c": {}}"#, " [ 1 , 2 ] \n",
                      "\"é📷\"", String(repeating: "[", count: 2000) + String(repeating: "]", count: 2000)])
    func validJSONHasNoSyntaxError(_ text: String) {
        #expect(JSONSyntaxError.locate(in: Array(text.utf8)) == nil)
    }

    @Test func theConfigurationErrorSaysWhere() {
        #expect(throws: ConfigurationError(field: "", reason: "not valid JSON at line 2, column 12: expected a value (object, array, string, number, true, false or null)")) {
            try JSONValue.parse("{\n\"cameras\": }")
        }
    }
}
