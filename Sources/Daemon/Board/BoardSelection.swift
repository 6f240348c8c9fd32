import CamgateCore
import Hardware

/// The board profile for this box: the configured id, or what the system's
/// files match (docs/board-profiles.md). Used by `run`, `board` and
/// `provision` alike.
public enum BoardSelection {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// `directory`: `--profiles-dir`, else the installed profiles, else
    /// `board/profiles` beside a development build.
    public static func choose(directory explicit: String?, system: BoardSystem, forced: String?) throws(Failure) -> BoardChoice {
        let facts = system.facts()
        guard let directory = BoardProfiles.directory(explicit: explicit, executable: "/proc/self/exe") else {
            if let forced, forced != "auto" {
                throw Failure(description: "board \(CameraID.quoted(forced)) was asked for, but no board profiles are installed (\(BoardProfiles.systemDirectory))")
            }
            return BoardChoice(profile: nil, variant: nil,
                               reasons: ["no board profiles installed (\(BoardProfiles.systemDirectory)): built-in defaults"], alsoMatched: [])
        }
        let profiles: [BoardProfile]
        do { profiles = try BoardProfiles.load(directory: directory) } catch { throw Failure(description: error.description) }
        do {
            var choice = try BoardMatcher.choose(profiles, facts: facts, forced: forced)
            choice.reasons.append("profiles from \(directory)")
            return choice
        } catch {
            throw Failure(description: error.description)
        }
    }
}
