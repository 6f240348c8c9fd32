"""Schemathesis hooks for Tests/Fixtures/schemathesis_run.sh.

Keeps every camera and stream URL the fuzzer sends on loopback: a PUT of an
`rtsp://192.0.2.10/...` camera with `record: true` makes the agent start
ffmpeg against that host, and a test must send no traffic off this machine.
Only the host of a URL whose host is well formed is replaced (by 127.0.0.1),
so a URL that is invalid stays invalid for the same reason; `before_call`
runs before every request of every phase, and Schemathesis revalidates the
case afterwards, so positive and negative cases keep their meaning.
"""
import re

import schemathesis

URL_FIELDS = ("url", "rtsp_url", "rtmp_url")
# scheme://[userinfo@]host[:port][rest], as docs/openapi.yaml's RTSPURL/RTMPURL.
URL = re.compile(r'^(?P<head>[Rr][Tt][SsMm][Pp][Ss]?://(?:[!"$-.0->A-~]*@)?)'
                 r'(?P<host>[A-Za-z0-9][A-Za-z0-9.-]*|\[[0-9A-Fa-f:.]+\])(?P<tail>(?::[0-9]{1,5})?(?:[/?#].*)?)$', re.S)


def loopback(value):
    """Any scheme://authority: the host (after the last '@', before a port)
    becomes 127.0.0.1, whatever else the authority holds; the case is
    revalidated by Schemathesis afterwards."""
    if not isinstance(value, str):
        return value
    m = URL.match(value)
    if m:
        return m.group("head") + "127.0.0.1" + m.group("tail")
    scheme, sep, rest = value.partition("://")
    if not sep:
        return value
    end = len(rest)
    for stop in "/?#":
        i = rest.find(stop)
        if i != -1:
            end = min(end, i)
    authority, tail = rest[:end], rest[end:]
    userinfo, at, hostport = authority.rpartition("@")
    port = ""
    if not hostport.startswith("[") and hostport.count(":") == 1:
        port = ":" + hostport.split(":", 1)[1]
    return scheme + "://" + userinfo + at + "127.0.0.1" + port + tail


def rewrite(node):
    if isinstance(node, dict):
        for key, value in list(node.items()):
            if key in URL_FIELDS and isinstance(value, str):
                node[key] = loopback(value)
            else:
                rewrite(value)
    elif isinstance(node, list):
        for item in node:
            rewrite(item)


@schemathesis.hook
def before_call(context, case, kwargs):
    if isinstance(case.body, (dict, list)):
        rewrite(case.body)
