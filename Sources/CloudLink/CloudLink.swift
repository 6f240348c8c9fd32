/// The cloud link: SSE parser and client, protocol, reconnect policy, report
/// uplink. Its HTTP client is the HTTPClient module, re-exported here.
@_exported import HTTPClient
