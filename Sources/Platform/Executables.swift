#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Finds programs on PATH (no shell `which`).
public enum Executables {
    public static func find(_ name: String, searchPath: String? = nil) -> String? {
        if name.contains("/") { return isExecutable(name) ? name : nil }
        let search = searchPath ?? (getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin")
        for dir in search.split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/\(name)"
            if isExecutable(candidate) { return candidate }
        }
        return nil
    }

    static func isExecutable(_ path: String) -> Bool { access(path, X_OK) == 0 && !FileSystem.isDirectory(path) }
}
