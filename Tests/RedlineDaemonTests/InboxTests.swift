import Foundation
import RedlineWatcher
import Testing

@testable import RedlineDaemon

/// The pipeline's mailbox is bounded: a pipeline far behind the kernel costs a rescan, never unbounded memory.
@Suite struct InboxTests {
    func event(_ i: Int) -> Input { .event(WatchEvent(kind: .closeWrite, path: "/w/a\(i).txt", isDirectory: false)) }

    func kinds(_ inputs: [Input]) -> [String] {
        inputs.map {
            switch $0 {
            case .event(let e): e.kind == .overflow ? "overflow" : "event"
            case .reload: "reload"
            case .stop: "stop"
            }
        }
    }

    @Test func eventsPastTheCapacityBecomeOneOverflowAfterThoseKept() {
        let inbox = Inbox(capacity: 10)
        for i in 0..<25 { inbox.push(event(i)) }
        inbox.push(.reload)
        inbox.push(.stop)
        let taken = inbox.take(until: nil)
        #expect(kinds(taken) == Array(repeating: "event", count: 10) + ["reload", "stop", "overflow"])
        #expect(inbox.stopRequested, "a stop is never dropped")
    }

    @Test func theBoundAppliesToWhatIsQueuedNotToWhatWasEverPushed() {
        let inbox = Inbox(capacity: 10)
        for round in 0..<5 {
            for i in 0..<10 { inbox.push(event(round * 10 + i)) }
            #expect(kinds(inbox.take(until: nil)) == Array(repeating: "event", count: 10), "round \(round)")
        }
    }
}
