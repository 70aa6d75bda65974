import ArgumentParser

@main
struct Tandem: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tandem",
        abstract: "A self-hosted SIP/SMPP telecom bridge.",
        subcommands: [Serve.self, Decode.self, SMPPCommand.self, CallCommand.self, SIPCommand.self, Bench.self]
    )
}
