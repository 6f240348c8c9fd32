import Testing
@testable import OTA

@Suite struct TrialJudgeTests {
    @Test func aGoodUpdateCommitsWithin15SecondsAndIsAckedOnce() {
        var sim = TrialSimulator(.good)
        sim.run()
        #expect(sim.state.update?.phase == .committed)
        #expect(sim.current == sim.new && sim.committed == sim.new)
        #expect(sim.state.floor == sim.new)
        #expect(sim.acks == [.succeeded(sim.new)])
        #expect(sim.state.update?.ackPending == false)
        #expect((sim.finishedAt ?? .max) - 1000 <= 15_000, "committed \(sim.finishedAt ?? -1) ms, staged at 1000")
    }

    struct Failure: Sendable, CustomTestStringConvertible {
        let behaviour: Behaviour
        let reason: RollbackReason
        /// Rollback within this window after the switch (ms).
        let window: ClosedRange<Int64>
        var testDescription: String { "\(behaviour) → \(reason.rawValue)" }
    }

    @Test(arguments: [
        Failure(behaviour: .exitsAtOnce, reason: .exitedAtOnce, window: 0...10_000),
        Failure(behaviour: .neverReady, reason: .notHealthyInTime, window: 120_000...125_000),
        Failure(behaviour: .losesTheCloud, reason: .notHealthyInTime, window: 120_000...125_000),
        Failure(behaviour: .crashesAfter10s, reason: .crashLoop, window: 20_000...25_000),
    ])
    func aBadBuildIsRolledBackByTheCommittedBinary(_ f: Failure) throws {
        var sim = TrialSimulator(f.behaviour)
        sim.run()
        let u = try #require(sim.state.update)
        #expect(u.phase == .rolledBack && u.rollbackReason == f.reason)
        #expect(sim.current == sim.old && sim.committed == sim.old, "the old version runs again")
        #expect(sim.running?.version == sim.old)
        #expect(sim.state.badVersions == [sim.new])
        #expect(sim.acks == [.failed(sim.new, f.reason)])
        let after = (sim.finishedAt ?? .max) - (sim.switchedAt ?? 0)
        #expect(f.window.contains(after), "rolled back \(after) ms after the switch")
        if f.behaviour == .crashesAfter10s { #expect(sim.starts == 3, "rolled back on the 3rd start") }
    }

    /// kill -9 of everything after any judge step (its actions lost), then
    /// the box restarts: the update ends committed or rolled back with the
    /// links matching, never half.
    @Test(arguments: Behaviour.allCases)
    func aKillAtAnyStepEndsCommittedOrRolledBackNeverHalf(_ behaviour: Behaviour) {
        let kinds = { var s = TrialSimulator(behaviour); s.run(); return s.stepKinds }()
        #expect(kinds.count >= 6, "\(kinds.keys.sorted())")
        for k in Set(kinds.values).sorted() {
            var sim = TrialSimulator(behaviour, killAfterStep: k)
            sim.run(until: 300_000)
            let u = sim.state.update
            switch u?.phase {
            case .committed?:
                #expect(behaviour == .good, "kill after step \(k)")
                #expect(sim.current == sim.new && sim.committed == sim.new, "kill after step \(k)")
            case .rolledBack?:
                #expect(behaviour != .good, "kill after step \(k): one kill costs a good build one start, not its update")
                #expect(sim.current == sim.old && sim.committed == sim.old, "kill after step \(k)")
            default:
                Issue.record("kill after step \(k): ended \(String(describing: u?.phase))")
            }
            #expect(sim.running?.version == sim.current, "kill after step \(k): the linked version runs")
            #expect(!sim.acks.isEmpty && Set(sim.acks).count == 1 && u?.ackPending == false, "kill after step \(k): \(sim.acks)")
        }
    }
}

@Suite struct TrialJudgeStepTests {
    let policy = TrialPolicy()
    let a = SoftwareVersion(0, 1, 0), b = SoftwareVersion(0, 2, 0)

    func trial(starts: [Int64]) -> UpdateState {
        var u = UpdateRecord(candidate: b, previous: a, downgrade: false, cloudWasReachable: true, policy: policy, stagedAt: 0)
        u.phase = .trial
        u.starts = starts
        return UpdateState(floor: a, update: u)
    }

    @Test func stagingWhileAnUpdateIsOnTrialIsRefusedAndChangesNothing() {
        let s = trial(starts: [10])
        let (next, actions) = TrialJudge.step(s, .stage(candidate: SoftwareVersion(0, 3, 0), previous: a, downgrade: false, cloudWasReachable: false, policy: policy), now: 20)
        #expect(next == s)
        #expect(actions.count == 1 && { if case .refuse(let r) = actions[0] { r.code == .updateInProgress } else { false } }())
    }

    @Test func theFirstStartSwitchesToTheCandidate() {
        var s = UpdateState()
        s.update = UpdateRecord(candidate: b, previous: a, downgrade: false, cloudWasReachable: false, policy: policy, stagedAt: 0)
        let (next, actions) = TrialJudge.step(s, .start, now: 500)
        #expect(next.update?.phase == .trial && next.update?.starts == [500])
        #expect(actions == [.switchCurrent(to: b)])
    }

    @Test func aHealthyReportBeforeTheMinimumRunDoesNotCommit() {
        let report = HealthReport(at: 11_000, ready: true, storeOpen: true, recordersAdopted: true, cloudReachable: true)
        let (early, none) = TrialJudge.step(trial(starts: [0]), .health(report), now: 11_000)
        #expect(early.update?.phase == .trial && none.isEmpty)
        var later = report
        later.at = 12_000
        let (next, actions) = TrialJudge.step(early, .health(later), now: 12_000)
        #expect(next.update?.phase == .committed)
        #expect(actions == [.switchCommitted(to: b), .switchCurrent(to: b), .ack(.succeeded(b))])
    }

    @Test func aReportFromAnEarlierRunIsIgnored() {
        let stale = HealthReport(at: 5_000, ready: true, storeOpen: true, recordersAdopted: true, cloudReachable: true)
        let (next, actions) = TrialJudge.step(trial(starts: [0, 20_000]), .health(stale), now: 40_000)
        #expect(next.update?.health == nil && actions.isEmpty)
    }

    @Test func aCrashNotRestartedWithinTheGraceIsRolledBackAndRestarted() {
        let (exited, _) = TrialJudge.step(trial(starts: [0]), .exit(failed: true), now: 30_000)
        #expect(exited.update?.phase == .trial, "after the at-once window: systemd gets to restart it")
        #expect(TrialJudge.step(exited, .check, now: 59_000).1.isEmpty)
        let (next, actions) = TrialJudge.step(exited, .check, now: 60_000)
        #expect(next.update?.rollbackReason == .crashedDuringTrial)
        #expect(actions == [.switchCurrent(to: a), .switchCommitted(to: a), .markBad(b), .ack(.failed(b, .crashedDuringTrial)), .restartService])
    }

    @Test func operatorRollbackOfACommit_putsThePreviousVersionBackAsCommitted_andLowersTheFloor() {
        let report = HealthReport(at: 12_000, ready: true, storeOpen: true, recordersAdopted: true, cloudReachable: true)
        let (committed, _) = TrialJudge.step(trial(starts: [0]), .health(report), now: 12_000)
        #expect(committed.floor == b)
        let (next, actions) = TrialJudge.step(committed, .rollback, now: 50_000)
        #expect(next.update?.phase == .rolledBack && next.update?.rollbackReason == .operatorRequest)
        #expect(next.floor == a && next.badVersions == [b])
        #expect(actions == [.switchCurrent(to: a), .switchCommitted(to: a), .markBad(b), .ack(.failed(b, .operatorRequest)), .restartService])
    }

    @Test func operatorRollbackDuringATrial_endsIt_andWithNothingToRollBackIsRefused() {
        let (next, actions) = TrialJudge.step(trial(starts: [0]), .rollback, now: 3_000)
        #expect(next.update?.rollbackReason == .operatorRequest && actions.contains(.restartService))
        let (same, refused) = TrialJudge.step(next, .rollback, now: 4_000)
        #expect(same == next && refused.count == 1)
        if case .refuse(let r)? = refused.first { #expect(r.code == .nothingToRollBack) } else { Issue.record("not refused") }
        #expect(TrialJudge.step(UpdateState(), .rollback, now: 0).1.count == 1)
    }

    @Test func aCleanStopDuringTheTrialIsRolledBackAtTheDeadlineWithoutARestart() {
        let (stopped, _) = TrialJudge.step(trial(starts: [0]), .exit(failed: false), now: 1_000)
        #expect(stopped.update?.phase == .trial, "a clean exit at once is not a failure")
        let (next, actions) = TrialJudge.step(stopped, .check, now: 120_000)
        #expect(next.update?.rollbackReason == .notHealthyInTime && !actions.contains(.restartService))
    }

    @Test func aStartAfterTheDeadlineRunsThePreviousVersion() {
        let (next, actions) = TrialJudge.step(trial(starts: [0]), .start, now: 130_000)
        #expect(next.update?.phase == .rolledBack && actions.first == .switchCurrent(to: a))
    }

    @Test func aCommittedSignedDowngradeLowersTheFloor() {
        var s = trial(starts: [0])
        s.floor = SoftwareVersion(0, 3, 0)
        s.update?.downgrade = true
        let report = HealthReport(at: 13_000, ready: true, storeOpen: true, recordersAdopted: true, cloudReachable: true)
        #expect(TrialJudge.step(s, .health(report), now: 13_000).0.floor == b)
    }

    @Test func anUnreadableStateRunsTheCommittedVersion() {
        #expect(throws: UpdateRefusal.self) { try UpdateState(parsing: Array("{\"update\": {\"phase\": \"half\"}}".utf8)) }
        #expect(TrialJudge.recover(committed: a) == [.switchCurrent(to: a)])
    }
}

@Suite struct UpdateStateFileTests {
    @Test func fieldsANewerBinaryAddedSurviveAnOlderBinarysRewrite() throws {
        let text = """
        {"format": 2, "floor": "0.1.0", "bad_versions": ["0.1.5"], "key_bundle_serial": 7, "signed_by": "x",
         "update": {"phase": "trial", "candidate": "0.2.0", "previous": "0.1.0", "staged_at": 5, "starts": [6],
                    "policy": {"healthy_deadline_ms": 60000, "jitter_ms": 3}, "download_url": "https://example.invalid/u"}}
        """
        let s = try UpdateState(parsing: Array(text.utf8))
        #expect(s.floor == SoftwareVersion(0, 1, 0) && s.badVersions == [SoftwareVersion(0, 1, 5)] && s.keyBundleSerial == 7)
        #expect(s.update?.policy.healthyDeadline == 60_000 && s.update?.policy.minimumRun == TrialPolicy().minimumRun)
        let rewritten = try UpdateState(parsing: s.fileContent)
        #expect(rewritten == s)
        #expect(rewritten.unknownFields["signed_by"] == .string("x"))
        #expect(rewritten.update?.unknownFields["download_url"] == .string("https://example.invalid/u"))
    }
}
