import CamgateCore
import NIOCore
import NIOHTTP1
import Platform

extension LocalAPIServer {
    /// Reads requests off one connection and answers them in order until
    /// the client closes, asks to close, or breaks a limit.
    func serve(_ connection: Connection, viaTCP: Bool) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body: [UInt8] = []
            for try await part in inbound {
                switch part {
                case .head(let h):
                    head = h
                    body = []
                    if let refusal = refusal(of: h) {
                        try await write(.error(refusal), for: h, keepAlive: false, to: outbound)
                        return
                    }
                case .body(let chunk):
                    guard let h = head else { return }
                    if body.count + chunk.readableBytes > configuration.maxBodyBytes {
                        try await write(.error(Self.tooLarge(configuration.maxBodyBytes)), for: h, keepAlive: false, to: outbound)
                        return
                    }
                    body.append(contentsOf: chunk.readableBytesView)
                case .end:
                    guard let h = head else { return }
                    head = nil
                    let request = APIRequest(method: h.method.rawValue, uri: h.uri,
                                             headers: h.headers.map { ($0.name, $0.value) }, body: body, viaTCP: viaTCP)
                    let response = await answer(request)
                    try await write(response, for: h, keepAlive: h.isKeepAlive, to: outbound)
                    if !h.isKeepAlive { return }
                }
            }
        }
    }

    static func tooLarge(_ limit: Int) -> APIError {
        APIError(413, "too_large", "the request body is over \(limit) bytes")
    }

    /// What is refused from the head alone: a declared body over the limit.
    private func refusal(of head: HTTPRequestHead) -> APIError? {
        if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > configuration.maxBodyBytes {
            return Self.tooLarge(configuration.maxBodyBytes)
        }
        return nil
    }

    /// Token check on TCP (all but the page shell), then the handler.
    private func answer(_ request: APIRequest) async -> APIResponse {
        if request.viaTCP, !(request.method == "GET" && request.rawPath == "/") {
            guard let token = configuration.token, let given = request.header("authorization"),
                  BearerToken.matches(given, token) else {
                return .error(APIError(401, "unauthorized", "this listener needs Authorization: Bearer <token>"))
            }
        }
        return await handler.handle(request)
    }

    private func write(_ response: APIResponse, for request: HTTPRequestHead, keepAlive: Bool,
                       to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws {
        var headers = HTTPHeaders(response.headers.map { ($0.name, $0.value) })
        let length: Int64
        switch response.body {
        case .bytes(let bytes): length = Int64(bytes.count)
        case .file(_, _, let count): length = count
        }
        headers.replaceOrAdd(name: "content-length", value: String(length))
        headers.replaceOrAdd(name: "cache-control", value: headers.first(name: "cache-control") ?? "no-store")
        if !keepAlive { headers.replaceOrAdd(name: "connection", value: "close") }
        let head = HTTPResponseHead(version: request.version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        try await outbound.write(.head(head))
        if request.method != .HEAD {
            switch response.body {
            case .bytes(let bytes):
                if !bytes.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: bytes)))) }
            case .file(let path, let offset, let count):
                try await stream(path, offset: offset, count: count, to: outbound)
            }
        }
        try await outbound.write(.end(nil))
    }

    /// A file range in 64 KiB chunks; the writer waits while the client is slow.
    private func stream(_ path: String, offset: Int64, count: Int64,
                        to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws {
        let reader = try FileReader(path)
        var position = offset
        let end = offset + count
        while position < end {
            let chunk = try reader.read(at: position, count: Int(min(64 * 1024, end - position)))
            guard !chunk.isEmpty else { throw SystemError(call: "pread", errno: 5, subject: "\(path): shorter than announced") }
            try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: chunk))))
            position += Int64(chunk.count)
        }
    }
}

/// `Authorization: Bearer <token>`, compared in constant time.
enum BearerToken {
    static func matches(_ header: String, _ token: String) -> Bool {
        let prefix = "bearer "
        guard header.count > prefix.count, header.prefix(prefix.count).lowercased() == prefix else { return false }
        let given = Array(header.dropFirst(prefix.count).utf8), expected = Array(token.utf8)
        var difference = UInt8(given.count == expected.count ? 0 : 1)
        for i in 0..<expected.count { difference |= expected[i] ^ (i < given.count ? given[i] : 0) }
        return difference == 0 && !expected.isEmpty
    }
}
