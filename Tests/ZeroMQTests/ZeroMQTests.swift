import Foundation
import Testing
import ZeroMQ

@Suite struct ZeroMQTests {
    @Test func libraryHasCurveAndVersion4() {
        #expect(ZMQContext.version.hasPrefix("4."))
        #expect(ZMQContext.has("curve"))
    }

    @Test func pubSubDeliversTopicAndPayloadFramesThroughASocketLoop() async throws {
        let pub = try ZMQSocket(type: .pub)
        try pub.bind("tcp://127.0.0.1:*")
        let endpoint = try pub.lastEndpoint()
        let sub = try ZMQSocket(type: .sub)
        try sub.subscribe("news")
        try sub.connect(endpoint)
        let (messages, input) = AsyncStream<ZMQMessage>.makeStream()
        let loop = try SocketLoop(name: "t")
        let pubHandle = loop.add(pub, onMessage: nil)
        loop.add(sub) { input.yield($0) }
        loop.start()
        defer { loop.stop() }
        // The slow-joiner problem: keep publishing until the subscription has reached the publisher.
        let sender = Task {
            while !Task.isCancelled {
                loop.send([Array("other".utf8), [0]], on: pubHandle)
                loop.send([Array("news.1".utf8), Array("hello".utf8)], on: pubHandle)
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        defer { sender.cancel() }
        var first: ZMQMessage?
        for await message in messages {
            first = message
            break
        }
        #expect(first?.frames == [Array("news.1".utf8), Array("hello".utf8)])
    }

    @Test func curveKeyPairsAreZ85AndDeriveTheirPublicKey() throws {
        let pair = try CurveKeyPair.generate()
        #expect(pair.publicKey.count == 40 && pair.secretKey.count == 40)
        #expect(try CurveKeyPair.publicKey(forSecret: pair.secretKey) == pair.publicKey)
    }

    @Test func bindingAnInvalidEndpointNamesIt() throws {
        let socket = try ZMQSocket(type: .pub)
        #expect {
            try socket.bind("tcp://not a host:1")
        } throws: { error in
            "\(error)".contains("not a host")
        }
    }
}
