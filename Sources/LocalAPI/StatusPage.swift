/// The status page (`GET /`): HTML, CSS and script in one document.
public enum StatusPage {
    public static var html: String { StatusPageHTML.text }
}
