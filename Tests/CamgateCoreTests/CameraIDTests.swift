import Testing
@testable import CamgateCore

@Suite struct CameraIDTests {
    @Test(arguments: ["front", "gate-2", "A_b-9", "0", String(repeating: "x", count: 64)])
    func acceptsSafeNames(_ name: String) throws {
        #expect(try CameraID(name).rawValue == name)
    }

    @Test(arguments: [
        ("../x", "must start with a letter or a digit"),
        ("a/../x", "contains \"/\""),
        ("a b", "contains \" \""),
        ("$HOME", "must start with a letter or a digit"),
        ("cam$HOME", "contains \"$\""),
        ("", "camera id is empty"),
        (String(repeating: "a", count: 300), "300 characters long; the limit is 64"),
        ("cam;rm", "contains \";\""),
        ("cam\nx", "contains \"\\u{a}\""),
        ("caméra", "contains \"é\""),
        ("-rf", "must start with a letter or a digit"),
    ])
    func rejectsHostileNamesWithAReason(_ name: String, _ reason: String) {
        #expect(throws: ConfigurationError.self) { try CameraID(name) }
        let problem = CameraID.problem(with: name)
        #expect(problem?.contains(reason) == true, "\(problem ?? "nil") should mention \(reason)")
    }
}
