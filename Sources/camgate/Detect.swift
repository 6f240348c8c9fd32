import ArgumentParser
import CamgateCore
import Hardware
import Media

/// `camgate detect`: what the installer runs first.
struct Detect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List V4L2 cameras and encoders; every encoder is proven by a trial encode before it is called usable."
    )

    @Flag(name: .long, help: "Print JSON: {\"cameras\": [...], \"encoders\": [{\"backend\", \"device\", \"codec\", \"usable\", \"reason\"}, ...]}.")
    var json = false

    @Option(name: .long, help: ArgumentHelp("Root of the device tree (tests use a fake one).", visibility: .hidden))
    var devRoot = "/dev"

    @Option(name: .long, help: ArgumentHelp("Root of sysfs (tests use a fake one).", visibility: .hidden))
    var sysRoot = "/sys"

    @Option(name: .long, help: "Seconds a trial encode may take before its process group is killed.")
    var trialTimeout: Double = 5

    func validate() throws {
        guard trialTimeout.isFinite, trialTimeout >= 0.1, trialTimeout <= 60 else {
            throw ValidationError("--trial-timeout must be a number of seconds from 0.1 to 60")
        }
    }

    func run() async throws {
        let tools: FFmpegTools
        switch FFmpegTools.locate() {
        case .success(let found): tools = found
        case .failure(let missing): throw fail("\(missing)", code: 1)
        }
        var probe = HardwareProbe(tools: tools, devRoot: devRoot, sysRoot: sysRoot)
        probe.encoders.trial.timeout = .milliseconds(Int64(trialTimeout * 1000))
        let inventory = await probe.run()
        print(json ? inventory.json.serialized() : inventory.text)
    }
}
