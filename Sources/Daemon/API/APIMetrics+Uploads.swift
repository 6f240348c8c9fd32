import LocalAPI
import Store

extension APIRoutes {
    /// The upload queue (from the store) and the uploader's counts since start.
    func uploadMetrics(_ out: inout PrometheusText) async {
        guard let summary = try? await store.uploadSummary() else { return }
        out.gauge("camgate_upload_queue_segments", "Segments in the upload queue, by state.",
                  [([("state", "queued")], Double(summary.queued)), ([("state", "uploading")], Double(summary.uploading)),
                   ([("state", "done")], Double(summary.done)), ([("state", "failed")], Double(summary.failed))])
        out.gauge("camgate_upload_queue_bytes", "Bytes of the segments still to upload.", [([], Double(summary.pendingBytes))])
        guard let progress = await context.uploadProgress?() else { return }
        out.counter("camgate_upload_sent_bytes_total", "Bytes sent to the object store since the agent started (resends included).",
                    [([], Double(progress.bytesSent))])
        out.counter("camgate_upload_segments_total", "Segments uploaded or refused for good since the agent started.",
                    [([("result", "uploaded")], Double(progress.segmentsUploaded)), ([("result", "failed")], Double(progress.segmentsFailed))])
        out.counter("camgate_upload_retries_total", "Upload attempts that will be retried (5xx, link down, expired URLs).", [([], Double(progress.retries))])
        out.counter("camgate_upload_etag_mismatches_total", "Parts sent again because S3's MD5 ETag did not match.", [([], Double(progress.etagMismatches))])
        out.counter("camgate_upload_lost_segments_total", "Queued segments retention deleted before their upload.",
                    [([], Double(await agent.counters.uploadSegmentsLost))])
    }
}
