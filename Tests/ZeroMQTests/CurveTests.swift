import Foundation
import Synchronization
import Testing

@testable import ZeroMQ

/// CURVE with a ZAP handler: known keys get their user id on every message, unknown keys get nothing.
@Suite(.serialized) struct CurveTests {
    @Test(.timeLimit(.minutes(1))) func knownClientKeysAreAuthenticatedAndUnknownOnesRefused() async throws {
        let context = ZMQContext()
        defer { context.shutdown() }
        let server = try CurveKeyPair.generate()
        let finance = try CurveKeyPair.generate()
        let stranger = try CurveKeyPair.generate()
        let refused = Mutex<[String]>([])
        let zap = try ZAPHandler(context: context) { request in
            guard request.publicKey == finance.publicKey else {
                refused.withLock { $0.append(request.publicKey ?? "none") }
                return nil
            }
            return "finance"
        }
        defer { zap.stop() }
        let router = try ZMQSocket(context: context, type: .router)
        try router.makeCurveServer(secretKey: server.secretKey)
        try router.setZAPDomain("credit-mesh")
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try router.lastEndpoint()
        let (messages, input) = AsyncStream<ZMQMessage>.makeStream()
        let loop = try SocketLoop(name: "curve-server")
        loop.add(router) { input.yield($0) }
        // The stranger's side of the refusal: its socket monitor reports the failed handshake.
        let (authFailures, authFailure) = AsyncStream<Void>.makeStream()
        var clients: [(SocketLoop, SocketLoop.SocketHandle)] = []
        for keys in [stranger, finance] {
            let dealer = try ZMQSocket(context: context, type: .dealer)
            try dealer.makeCurveClient(serverKey: server.publicKey, publicKey: keys.publicKey, secretKey: keys.secretKey)
            let clientLoop = try SocketLoop(name: "client")
            if keys == stranger {
                let monitor = try dealer.monitorHandshakeFailures(context: context)
                clientLoop.add(monitor) { event in
                    guard let frame = event.frames.first, frame.count >= 2 else { return }
                    // 0x4000 is ZMQ_EVENT_HANDSHAKE_FAILED_AUTH (zmq.h): the server's ZAP handler said no.
                    if Int32(frame[0]) | Int32(frame[1]) << 8 == 0x4000 { authFailure.yield(()) }
                }
            }
            try dealer.connect(endpoint)
            let handle = clientLoop.add(dealer, onMessage: nil)
            clients.append((clientLoop, handle))
        }
        loop.start()
        clients.forEach { $0.0.start() }
        defer {
            clients.forEach { $0.0.stop() }
            loop.stop()
        }
        clients[0].0.send([Array("from stranger".utf8)], on: clients[0].1)
        clients[1].0.send([Array("from finance".utf8)], on: clients[1].1)
        var received: ZMQMessage?
        for await message in messages {
            received = message
            break
        }
        #expect(received?.frames.last == Array("from finance".utf8))
        #expect(received?.userID == "finance")
        // The ZAP handler records a refusal before it answers, and the stranger hears of it after.
        for await _ in authFailures { break }
        #expect(refused.withLock { $0 }.contains(stranger.publicKey), "the stranger's handshake reached the ZAP handler and was refused")
    }

    @Test func zapRepliesFollowRFC27() {
        let frames: [[UInt8]] = [
            [1], [], Array("1.0".utf8), Array("7".utf8), Array("d".utf8), Array("127.0.0.1".utf8), [], Array("NULL".utf8),
        ]
        let reply = ZAPHandler.reply(to: frames) { _ in "anyone" }
        #expect(reply?[4] == Array("200".utf8) && reply?[6] == Array("anyone".utf8) && reply?[3] == Array("7".utf8))
        #expect(ZAPHandler.reply(to: Array(frames.prefix(5))) { _ in "x" } == nil, "a short request is ignored")
        var old = frames
        old[2] = Array("0.9".utf8)
        #expect(ZAPHandler.reply(to: old) { _ in "x" }?[4] == Array("400".utf8))
    }
}
