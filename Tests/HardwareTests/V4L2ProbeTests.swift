import Foundation
import Testing
import CamgateCore
import CHardware
@testable import Hardware
import Media
import Platform
import TestSupport

@Suite struct V4L2ProbeTests {
    @Test func importedStructuresMatchTheHeaderLayout() {
        #expect(MemoryLayout<v4l2_capability>.size == 104)
        #expect(MemoryLayout<v4l2_capability>.offset(of: \.capabilities) == 84)
        #expect(MemoryLayout<v4l2_capability>.offset(of: \.device_caps) == 88)
        #expect(MemoryLayout<v4l2_fmtdesc>.size == 64)
        #expect(MemoryLayout<v4l2_fmtdesc>.offset(of: \.pixelformat) == 44)
        #expect(MemoryLayout<v4l2_frmsizeenum>.size == 44)
        #expect(MemoryLayout<v4l2_frmivalenum>.size == 52)
        #expect(PixelFormat("MJPG").code == 0x4750_4A4D, "v4l2_fourcc('M','J','P','G')")
    }

    @Test func decodesCapabilitiesFormatsSizesAndRates() {
        let node = V4L2Probe.probe(FakeV4L2Device.c920(path: "/dev/video0"), byID: "/dev/v4l/by-id/usb-046d_C920-video-index0")
        #expect(node.status == .ok && node.kind == .capture)
        #expect(node.driver == "uvcvideo" && node.card == "HD Pro Webcam C920" && node.busInfo == "usb-0000:00:14.0-1")
        #expect(node.formats.map(\.format.fourcc) == ["YUYV", "MJPG", "H264"])
        #expect(node.formats[1].description == "Motion-JPEG")
        let mjpeg1080 = node.formats[1].sizes.first { $0.size == Resolution(width: 1920, height: 1080) }
        #expect(mjpeg1080?.rates == [30, 24, 15])
        #expect(node.stableID == "/dev/v4l/by-id/usb-046d_C920-video-index0")
        #expect(Inventory.formatSummary(node).contains("MJPG 1920x1080@30"))
    }

    @Test func stepwiseSizesBecomeTheCommonSizesInRange() {
        let d = FakeV4L2Device(path: "/dev/video0", capability: Fixture.capability(driver: "bcm2835-unicam", card: "unicam", bus: "platform:unicam",
                                                                                    capabilities: Fixture.captureCaps, deviceCaps: Fixture.captureCaps))
        d.formats = [Fixture.format("YU12", "Planar YUV 4:2:0")]
        d.sizes = ["YU12": [Fixture.stepwiseSize(minW: 32, maxW: 1920, stepW: 2, minH: 32, maxH: 1080, stepH: 2)]]
        d.intervals = ["YU12 1920x1080": [Fixture.interval(1, 30)]]
        let node = V4L2Probe.probe(d)
        let sizes = node.formats[0].sizes.map(\.size.description)
        #expect(sizes.contains("1920x1080") && sizes.contains("1280x720") && sizes.contains("640x480"))
        #expect(!sizes.contains("3840x2160") && !sizes.contains("2560x1440"))
    }

    @Test func nodeKindsAreToldApart() {
        let meta = FakeV4L2Device(path: "/dev/video1", capability: Fixture.capability(driver: "uvcvideo", card: "C920", bus: "usb-1",
                                                                                       capabilities: Fixture.captureCaps | UInt32(V4L2_CAP_META_CAPTURE),
                                                                                       deviceCaps: UInt32(V4L2_CAP_META_CAPTURE | V4L2_CAP_STREAMING)))
        let metaNode = V4L2Probe.probe(meta)
        #expect(metaNode.kind == .metadata && metaNode.formats.isEmpty)
        #expect(!meta.calls.contains("VIDIOC_ENUM_FMT"), "a metadata node is not enumerated")

        let codec = FakeV4L2Device(path: "/dev/video11", capability: Fixture.capability(driver: "bcm2835-codec", card: "bcm2835-codec-encode", bus: "platform:bcm2835-codec",
                                                                                         capabilities: UInt32(V4L2_CAP_VIDEO_M2M_MPLANE), deviceCaps: UInt32(V4L2_CAP_VIDEO_M2M_MPLANE | V4L2_CAP_STREAMING)))
        codec.formats = [Fixture.format("H264", "H.264")]
        codec.bufferType = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE.rawValue
        let codecNode = V4L2Probe.probe(codec)
        #expect(codecNode.kind == .memoryToMemory && codecNode.formats.map(\.format) == [.h264])
        #expect(V4L2Probe.kind(capabilities: UInt32(V4L2_CAP_VIDEO_OUTPUT), deviceCaps: 0) == .other)
    }

    @Test func aMultiPlanarCaptureNodeIsListedButNotOfferedToFFmpeg() {
        let isp = FakeV4L2Device(path: "/dev/video0", capability: Fixture.capability(driver: "rkisp1", card: "rkisp1_mainpath", bus: "platform:rkisp1",
                                                                                      capabilities: UInt32(V4L2_CAP_VIDEO_CAPTURE_MPLANE) | UInt32(V4L2_CAP_DEVICE_CAPS),
                                                                                      deviceCaps: UInt32(V4L2_CAP_VIDEO_CAPTURE_MPLANE | V4L2_CAP_STREAMING)))
        isp.bufferType = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE.rawValue
        isp.formats = [Fixture.format("NV12", "Y/CbCr 4:2:0")]
        isp.sizes = ["NV12": [Fixture.discreteSize(1920, 1080)]]
        let node = V4L2Probe.probe(isp)
        #expect(node.kind == .capture && node.formats.map(\.format.fourcc) == ["NV12"], "enumerated with the multi-planar type")
        guard case .unavailable(let reason) = node.status else { Issue.record("status \(node.status)"); return }
        #expect(reason.contains("multi-planar"))
    }

    @Test func enumerationLimitsAndStepwiseMaximaAreNoted() {
        let many = FakeV4L2Device(path: "/dev/video0", capability: Fixture.capability(driver: "odd", card: "odd", bus: "usb-9",
                                                                                       capabilities: Fixture.captureCaps, deviceCaps: Fixture.captureCaps))
        many.formats = (0..<70).map { _ in Fixture.format("MJPG", "MJPEG") }
        let node = V4L2Probe.probe(many)
        #expect(node.formats.count == V4L2Probe.maximumFormats)
        #expect(node.notes.contains("more than 64 formats: the rest ignored"), "\(node.notes)")

        let sensor = FakeV4L2Device(path: "/dev/video0", capability: Fixture.capability(driver: "unicam", card: "ov5647", bus: "platform:unicam",
                                                                                         capabilities: Fixture.captureCaps, deviceCaps: Fixture.captureCaps))
        sensor.formats = [Fixture.format("YU12", "Planar YUV 4:2:0")]
        sensor.sizes = ["YU12": [Fixture.stepwiseSize(minW: 16, maxW: 2592, stepW: 16, minH: 16, maxH: 1944, stepH: 8)]]
        let sizes = V4L2Probe.probe(sensor).formats[0].sizes.map(\.size.description)
        #expect(sizes.contains("2592x1944") && sizes.contains("1920x1080"), "\(sizes)")
    }

    @Test func driverNonsenseIsDroppedWithANote() {
        let d = FakeV4L2Device(path: "/dev/video0", capability: Fixture.capability(driver: "odd", card: "odd", bus: "usb-9",
                                                                                    capabilities: Fixture.captureCaps, deviceCaps: Fixture.captureCaps))
        d.formats = [Fixture.format("MJPG", "MJPEG")]
        d.sizes = ["MJPG": [Fixture.discreteSize(0, 0), Fixture.discreteSize(99_999, 99_999), Fixture.discreteSize(640, 480)]]
        d.intervals = ["MJPG 640x480": [Fixture.interval(0, 30), Fixture.interval(1, 0), Fixture.interval(1, 25)]]
        let node = V4L2Probe.probe(d)
        #expect(node.formats[0].sizes.map(\.size) == [Resolution(width: 640, height: 480)])
        #expect(node.formats[0].sizes[0].rates == [25])
        #expect(node.notes.count == 4, "\(node.notes)")
    }

    @Test(arguments: [(ENODEV, "vanished"), (EACCES, "permission denied"), (EBUSY, "busy")])
    func anErrorMidProbeBecomesTheNodesStatus(_ errno: Int32, _ reason: String) {
        let d = FakeV4L2Device.c920(path: "/dev/video0")
        d.failures["VIDIOC_ENUM_FRAMESIZES"] = errno
        let node = V4L2Probe.probe(d)
        #expect(node.status == .unavailable(V4L2Error(call: "VIDIOC_ENUM_FRAMESIZES", errno: errno, device: "/dev/video0").reason))
        guard case .unavailable(let text) = node.status else { return }
        #expect(text.contains(reason))
    }

    @Test func aDriverWithoutSizeOrRateEnumerationStillOffersItsFormats() {
        let d = FakeV4L2Device.c920(path: "/dev/video0")
        d.failures["VIDIOC_ENUM_FRAMESIZES"] = ENOTTY
        let node = V4L2Probe.probe(d)
        #expect(node.status == .ok && node.formats.map(\.format.fourcc) == ["YUYV", "MJPG", "H264"])
        #expect(node.formats.allSatisfy { $0.sizes.isEmpty })
        #expect(node.notes.contains("H264: the driver does not implement VIDIOC_ENUM_FRAMESIZES"), "\(node.notes)")
        // The limit is asked for; the driver answers with its nearest size.
        #expect(CaptureChoice.choose(node, wanted: VideoSettings(size: Resolution(width: 1280, height: 720)))
            == CaptureMode(inputFormat: "h264", size: Resolution(width: 1280, height: 720), fps: nil, native: true))

        let noRates = FakeV4L2Device.c920(path: "/dev/video0")
        noRates.failures["VIDIOC_ENUM_FRAMEINTERVALS"] = ENOTTY
        let sized = V4L2Probe.probe(noRates)
        #expect(sized.status == .ok && sized.formats[2].sizes.map(\.size.description) == ["1280x720", "1920x1080"])
        #expect(sized.formats[2].sizes.allSatisfy { $0.rates.isEmpty })
        #expect(CaptureChoice.choose(sized, wanted: VideoSettings())?.fps == nil)
    }

    @Test func theSyscallWrapperRetriesEINTRAndNamesTheCall() throws {
        var attempts = 0
        let result = try syscall("ioctl", "/dev/video0") { () -> Int32 in
            attempts += 1
            if attempts < 3 { errno = EINTR; return -1 }
            return 0
        }
        #expect(result == 0 && attempts == 3)
        #expect {
            try syscall("VIDIOC_QUERYCAP", "/dev/video9") { () -> Int32 in errno = ENOTTY; return -1 }
        } throws: { error in
            "\(error)" == "VIDIOC_QUERYCAP(/dev/video9): Inappropriate ioctl for device (errno 25)"
        }
    }
}

@Suite struct V4L2EnumeratorTests {
    let dir = TemporaryDirectory("fake-dev")

    /// /dev and /sys as udev and the kernel lay them out, for four nodes.
    func makeTree() throws -> (dev: String, sys: String) {
        let fm = FileManager.default
        let dev = dir.file("dev"), sys = dir.file("sys")
        for n in 0..<5 {
            try fm.createDirectory(atPath: "\(sys)/class/video4linux/video\(n)", withIntermediateDirectories: true)
            try "Camera \(n)\n".write(toFile: "\(sys)/class/video4linux/video\(n)/name", atomically: true, encoding: .utf8)
        }
        try fm.createDirectory(atPath: "\(dev)/v4l/by-id", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: "\(dev)/v4l/by-path", withIntermediateDirectories: true)
        for n in 0..<5 { _ = fm.createFile(atPath: "\(dev)/video\(n)", contents: nil) }
        try fm.createSymbolicLink(atPath: "\(dev)/v4l/by-id/usb-046d_HD_Pro_Webcam_C920-video-index0", withDestinationPath: "../../video0")
        try fm.createSymbolicLink(atPath: "\(dev)/v4l/by-id/usb-046d_HD_Pro_Webcam_C920-video-index1", withDestinationPath: "../../video1")
        try fm.createSymbolicLink(atPath: "\(dev)/v4l/by-path/pci-0000:00:14.0-usb-0:1:1.0-video-index0", withDestinationPath: "../../video0")
        // udev's second by-path link for the same USB node (ID_PATH_USB_COMPAT).
        try fm.createSymbolicLink(atPath: "\(dev)/v4l/by-path/pci-0000:00:14.0-usbv2-0:1:1.0-video-index0", withDestinationPath: "../../video0")
        return (dev, sys)
    }

    @Test func listsEveryNodeWithStableNamesAndReasons() throws {
        let (dev, sys) = try makeTree()
        var opener = FakeOpener()
        opener.devices["\(dev)/video0"] = FakeV4L2Device.c920(path: "\(dev)/video0")
        opener.devices["\(dev)/video1"] = FakeV4L2Device(path: "\(dev)/video1", capability: Fixture.capability(
            driver: "uvcvideo", card: "C920", bus: "usb-1", capabilities: Fixture.captureCaps, deviceCaps: UInt32(V4L2_CAP_META_CAPTURE)))
        opener.failures["\(dev)/video2"] = EACCES
        let vanishing = FakeV4L2Device.c920(path: "\(dev)/video3")
        vanishing.failures["VIDIOC_ENUM_FRAMEINTERVALS"] = ENODEV
        opener.devices["\(dev)/video3"] = vanishing
        opener.failures["\(dev)/video4"] = EBUSY

        let nodes = V4L2Enumerator(devRoot: dev, sysRoot: sys, opener: opener).nodes()
        #expect(nodes.map(\.path) == (0..<5).map { "\(dev)/video\($0)" })
        #expect(nodes[0].byID == "\(dev)/v4l/by-id/usb-046d_HD_Pro_Webcam_C920-video-index0")
        #expect(nodes[0].byPath == "\(dev)/v4l/by-path/pci-0000:00:14.0-usb-0:1:1.0-video-index0")
        #expect(nodes[0].kind == .capture && nodes[0].status == .ok)
        #expect(nodes[1].kind == .metadata)
        #expect(nodes[2].status == .unavailable("permission denied (is the agent in the `video` group?)") && nodes[2].card == "Camera 2")
        guard case .unavailable(let gone) = nodes[3].status else { Issue.record("vanished node not reported"); return }
        #expect(gone.contains("vanished"))
        guard case .unavailable(let busy) = nodes[4].status else { Issue.record("busy node not reported"); return }
        #expect(busy.contains("busy"))

        let inventory = Inventory(nodes: nodes, encoders: [], fingerprint: "f", probedAtMs: 0, durationMs: 0)
        #expect(inventory.cameras.map(\.path) == ["\(dev)/video0", "\(dev)/video2", "\(dev)/video3", "\(dev)/video4"])
        #expect(inventory.node(for: "\(dev)/v4l/by-id/usb-046d_HD_Pro_Webcam_C920-video-index0")?.path == "\(dev)/video0")
        // Both by-path links mean video0, whichever one the inventory lists.
        #expect(inventory.node(for: "\(dev)/v4l/by-path/pci-0000:00:14.0-usbv2-0:1:1.0-video-index0")?.path == "\(dev)/video0")
        #expect(inventory.node(for: "\(dev)/v4l/by-path/pci-0000:00:14.0-usb-0:1:1.0-video-index0")?.path == "\(dev)/video0")
        #expect(inventory.node(for: "\(dev)/v4l/by-path/nothing-there") == nil)
        let json = inventory.json
        guard case .array(let cameras)? = json["cameras"], case .array(let others)? = json["other_nodes"] else { Issue.record("json"); return }
        #expect(cameras.count == 4 && others.count == 1)
        #expect(cameras[1]["reason"]?.stringValue?.contains("permission denied") == true)
    }

    @Test func realNodesThatAreNotDevicesAreReportedNotFatal() throws {
        let (dev, sys) = try makeTree()
        // The real opener on plain files: the first ioctl fails with ENOTTY.
        let nodes = V4L2Enumerator(devRoot: dev, sysRoot: sys).nodes()
        #expect(nodes.count == 5)
        for node in nodes {
            guard case .unavailable(let reason) = node.status else { Issue.record("\(node.path) probed as ok"); continue }
            #expect(reason.contains("VIDIOC_QUERYCAP") && reason.contains("Inappropriate ioctl"), "\(reason)")
        }
    }
}

@Suite struct CaptureChoiceTests {
    let c920 = V4L2Probe.probe(FakeV4L2Device.c920(path: "/dev/video0"))

    @Test func nativeH264IsCopiedAtTheBestSizeAndRate() {
        let mode = CaptureChoice.choose(c920, wanted: VideoSettings())
        #expect(mode == CaptureMode(inputFormat: "h264", size: Resolution(width: 1920, height: 1080), fps: 30, native: true))
    }

    @Test func limitsPickTheSizeAndRate() {
        let mode = CaptureChoice.choose(c920, wanted: VideoSettings(size: Resolution(width: 1280, height: 720), fps: 15))
        #expect(mode == CaptureMode(inputFormat: "h264", size: Resolution(width: 1280, height: 720), fps: 30, native: true),
                "1280x720 H.264 offers only 30 fps: the slowest available rate is taken when none fits")
    }

    @Test func mjpegBeatsRawAndEmulatedFormatsAreSkipped() {
        var node = c920
        node.formats.removeAll { $0.format == .h264 }
        #expect(CaptureChoice.choose(node, wanted: VideoSettings())?.inputFormat == "mjpeg")
        node.formats = node.formats.map { var f = $0; f.emulated = f.format == .mjpeg; return f }
        let raw = CaptureChoice.choose(node, wanted: VideoSettings(fps: 30))
        #expect(raw == CaptureMode(inputFormat: "yuyv422", size: Resolution(width: 1920, height: 1080), fps: 5, native: false))
    }

    @Test func theSmallestSizeWhenNothingFits() {
        let mode = CaptureChoice.choose(c920, wanted: VideoSettings(size: Resolution(width: 320, height: 240)))
        #expect(mode?.size == Resolution(width: 1280, height: 720))
    }

    @Test func theSizeLimitComesBeforeTheFormat() {
        // The C920's H.264 starts at 1280x720: asked for at most 640x480, MJPEG 640x480 it is.
        let mode = CaptureChoice.choose(c920, wanted: VideoSettings(size: Resolution(width: 640, height: 480)))
        #expect(mode == CaptureMode(inputFormat: "mjpeg", size: Resolution(width: 640, height: 480), fps: 30, native: false))
    }

    @Test func noUsableFormatGivesNothing() {
        var node = c920
        node.formats = [FormatOption(format: PixelFormat("Y16 "), description: "16-bit grey", emulated: false,
                                     sizes: [FrameSizeOption(size: Resolution(width: 640, height: 480), rates: [30])])]
        #expect(CaptureChoice.choose(node, wanted: VideoSettings()) == nil)
    }
}
