#!/usr/bin/python3
"""A real RTSP camera for tests: GStreamer's RTSP server with a live
H.264 test pattern (640x360, 15 fps, one keyframe a second).

usage: rtsp_server.py [--size WxH] PORT [MOUNT [KEYFRAME_INTERVAL_FRAMES]]
       rtsp_server.py PORT MOUNT --file CLIP.mp4
--size gives the pattern another size (a camera's substream). PORT 0 picks a free port. With --file, the mount serves an H.264 MP4 (no
re-encoding, paced at real time by the server's clock), from its first frame
for each client (not shared: every client sees the clip from t=0, so a test
knows the clip time of what it receives); the stream ends with the clip. Prints "ready PORT" once it listens. Kill it to simulate a camera that vanishes.
"""
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

size = "640x360"
if "--size" in sys.argv:
    at = sys.argv.index("--size")
    size = sys.argv[at + 1]
    del sys.argv[at:at + 2]
width, height = (int(x) for x in size.split("x"))
port = sys.argv[1]
mount = sys.argv[2] if len(sys.argv) > 2 else "/cam"
clip = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--file" else None
gop = int(sys.argv[3]) if len(sys.argv) > 3 and clip is None else 15
Gst.init(None)
server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory()
if clip:
    factory.set_launch(
        "( filesrc location=\"%s\" ! qtdemux ! h264parse config-interval=-1 ! rtph264pay name=pay0 pt=96 config-interval=-1 )" % clip
    )
else:
    factory.set_launch(
        "( videotestsrc is-live=true ! video/x-raw,width=%d,height=%d,framerate=15/1 "
        "! x264enc tune=zerolatency key-int-max=%d speed-preset=ultrafast ! rtph264pay name=pay0 pt=96 )" % (width, height, gop)
    )
factory.set_shared(clip is None)
server.get_mount_points().add_factory(mount, factory)
if server.attach(None) == 0:
    sys.exit("cannot listen on port " + port)
print("ready", server.get_bound_port(), flush=True)
GLib.MainLoop().run()
