import CamgateCore

/// `upload.mode: motion` (issue 13): the segments that go with a motion
/// event are queued in the transaction that learns of either side, the
/// segment finishing (`record`) or the event starting, growing or ending
/// (`applyMotion`). A segment queued once stays queued (or uploaded).
extension Store {
    /// Queues `camera`'s finished segments that end after `fromMs` and
    /// overlap one of its motion events widened by `window` (inside a
    /// transaction). Returns how many were queued.
    @discardableResult
    func queueMotionSegments(camera: CameraID, window: MotionUploadWindow, fromMs: Int64, nowMs: Int64) throws(SQLiteError) -> Int {
        try connection.query("""
            INSERT INTO uploads (recording, camera, file, start_ms, bytes, state, queued_at, updated_at)
            SELECT r.id, r.camera, r.file, r.start_ms, r.bytes, 'queued', ?5, ?5 FROM recordings r
            WHERE r.camera = ?1 AND r.status = 'complete' AND r.end_ms > ?4
              AND EXISTS (SELECT 1 FROM motion_events e WHERE e.camera = r.camera
                          AND e.start_ms - ?2 < r.end_ms AND coalesce(e.end_ms, e.last_ms) + ?3 > r.start_ms)
            ON CONFLICT(recording) DO NOTHING
            """, [.text(camera.rawValue), .integer(window.preMs), .integer(window.postMs), .integer(fromMs), .integer(nowMs)])
        return connection.changes
    }
}
