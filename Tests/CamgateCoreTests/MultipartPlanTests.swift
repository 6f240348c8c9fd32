import Testing
@testable import CamgateCore

@Suite struct MultipartPlanTests {
    static let mib: Int64 = 1 << 20

    @Test(arguments: [Int64(0), 1, 5 << 20, 8 << 20])
    func filesUpToEightMiBGoInOnePut(_ size: Int64) throws {
        #expect(try UploadPlan.forFile(size: size) == .single(size: size))
    }

    static let mb8: Int64 = 8 << 20
    static let tib5: Int64 = 5 << 40
    static let thirtyMinutes: Int64 = 1800 * 250_000      // 30 min at 2 Mbit/s
    static let eightyGiB: Int64 = 80_000 << 20             // exactly 10,000 parts of 8 MiB
    /// size, part size, part count, last part's length
    static let sizeCases: [(Int64, Int64, Int, Int64)] = [
        (mb8 + 1, mb8, 2, 1),
        (17 << 20, mb8, 3, 1 << 20),
        (thirtyMinutes, mb8, 54, thirtyMinutes - 53 * mb8),
        (eightyGiB, mb8, 10_000, mb8),
        (eightyGiB + 1, 9 << 20, 8_889, eightyGiB + 1 - 8_888 * (9 << 20)),
        (tib5, 525 << 20, 9_987, tib5 - 9_986 * (525 << 20)),  // the largest object: parts grow to 525 MiB
    ]

    @Test(arguments: sizeCases)
    func largeFilesGoInPartsThatGrowInMiBStepsToFitTenThousand(_ size: Int64, _ partSize: Int64, _ count: Int, _ last: Int64) throws {
        guard case .multipart(let plan) = try UploadPlan.forFile(size: size) else { Issue.record("single PUT for \(size)"); return }
        #expect(plan.partSize == partSize)
        #expect(plan.partCount == count)
        #expect(plan.part(count)?.length == last)
        #expect(plan.part(0) == nil && plan.part(count + 1) == nil)
    }

    @Test func partsAreNumberedFromOneAndCoverTheFileWithoutGaps() throws {
        let plan = try MultipartPlan(size: 17 << 20, partSize: 8 << 20)
        let expected: [MultipartPlan.Part] = [
            .init(number: 1, offset: 0, length: Self.mb8),
            .init(number: 2, offset: Self.mb8, length: Self.mb8),
            .init(number: 3, offset: 2 * Self.mb8, length: Self.mib),
        ]
        #expect(plan.parts == expected)
    }

    /// size, part size, the error's code and subject
    static let badPlans: [(Int64, Int64, UploadError.Code, String)] = [
        (-1, mb8, .invalidSize, "file"),
        (0, mb8, .invalidSize, "file"),
        (tib5 + 1, 1 << 30, .objectTooLarge, "file"),
        (100 << 20, (5 << 20) - 1, .partSizeOutOfRange, "part_size"),
        (100 << 20, (5 << 30) + 1, .partSizeOutOfRange, "part_size"),
        ((50_000 << 20) + 1, 5 << 20, .tooManyParts, "part_size"),
    ]

    @Test(arguments: badPlans)
    func aPlanThatBreaksS3sRulesIsRefusedWithItsCode(_ size: Int64, _ partSize: Int64, _ code: UploadError.Code, _ subject: String) {
        #expect { try MultipartPlan(size: size, partSize: partSize) } throws: {
            ($0 as? UploadError)?.code == code && ($0 as? UploadError)?.subject == subject
        }
    }

    @Test func negativeAndOversizedFilesAreRefusedBeforeAnyPlan() {
        #expect { try UploadPlan.forFile(size: -5) } throws: { ($0 as? UploadError)?.code == .invalidSize }
        #expect { try UploadPlan.forFile(size: (5 << 40) + 1) } throws: { ($0 as? UploadError)?.code == .objectTooLarge }
    }

    /// Any size: contiguous parts from 1, at most 10,000, all but the last
    /// ≥ 5 MiB, a part size in whole MiB that is the smallest ≥ 8 MiB that fits.
    @Test func randomSizesAlwaysGiveAPlanS3Accepts() throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        print("MultipartPlanTests.randomSizesAlwaysGiveAPlanS3Accepts seed: \(seed)")
        var rng = SplitMix64(seed: seed)
        for _ in 0..<300 {
            let size = Int64.random(in: (8 << 20) + 1...(5 << 40), using: &rng) >> Int64.random(in: 0...24, using: &rng)
            guard case .multipart(let plan) = try UploadPlan.forFile(size: max(size, (8 << 20) + 1)) else { continue }
            #expect(plan.partCount <= 10_000 && plan.partSize % Self.mib == 0, "seed \(seed) size \(plan.size)")
            #expect(plan.partSize == 8 << 20 || (plan.size + plan.partSize - Self.mib - 1) / (plan.partSize - Self.mib) > 10_000,
                    "seed \(seed): \(plan.partSize) is not the smallest for \(plan.size)")
            let last = try #require(plan.part(plan.partCount))
            #expect(last.offset + last.length == plan.size && last.length > 0, "seed \(seed)")
            #expect(plan.partCount == 1 || plan.part(plan.partCount - 1)!.length >= S3Limits.minimumPartSize, "seed \(seed)")
        }
    }
}

@Suite struct MultipartResumeTests {
    static let plan = try! MultipartPlan(size: 17 << 20, partSize: 8 << 20)
    static let md5 = [1: "0cc175b9c0f1b6a831c399e269772661", 2: "92eb5ffee6ae2fec3ad71c777531578f", 3: "4a8a08f09d37b73795649038408b5f33"]

    @Test func sendsEveryPartWhenNothingIsStored() {
        let resume = Self.plan.resume(stored: [:])
        #expect(resume.toSend.map(\.number) == [1, 2, 3])
        #expect(resume.completed.isEmpty && !resume.readyToComplete)
    }

    @Test func sendsOnlyTheMissingPartsAfterARestart() {
        let resume = Self.plan.resume(stored: [1: "\"\(Self.md5[1]!)\"", 3: "\"\(Self.md5[3]!)\""], md5: Self.md5)
        #expect(resume.toSend == [Self.plan.part(2)!])
        #expect(resume.completed == [.init(number: 1, etag: "\"\(Self.md5[1]!)\""), .init(number: 3, etag: "\"\(Self.md5[3]!)\"")])
    }

    @Test func completesWithTheETagsAsStoredInPartOrder() {
        let stored = [3: "\"\(Self.md5[3]!)\"", 1: "\"\(Self.md5[1]!)\"", 2: "\"\(Self.md5[2]!)\""]
        let resume = Self.plan.resume(stored: stored, md5: Self.md5)
        #expect(resume.readyToComplete)
        #expect(resume.completed.map(\.number) == [1, 2, 3])
        #expect(resume.completed.map(\.etag) == [stored[1]!, stored[2]!, stored[3]!])
    }

    @Test(arguments: [
        ("\"92eb5ffee6ae2fec3ad71c777531578f\"", true),     // the part's MD5
        ("\"92EB5FFEE6AE2FEC3AD71C777531578F\"", true),     // case does not matter
        ("92eb5ffee6ae2fec3ad71c777531578f", true),         // unquoted
        ("\"0cc175b9c0f1b6a831c399e269772661\"", false),    // another part's MD5: a wrong answer
        ("\"\"", false),                                    // empty
        ("", false),
        ("\"3858f62230ac3c915f300c664312c11f-4\"", true),   // not an MD5 (another store): opaque, kept
        ("\"kms-opaque-etag\"", true),
    ])
    func aWrongETagAnswerMakesThePartGoAgain(_ etag: String, _ kept: Bool) {
        let resume = Self.plan.resume(stored: [1: "\"\(Self.md5[1]!)\"", 2: etag, 3: "\"\(Self.md5[3]!)\""], md5: Self.md5)
        #expect(resume.toSend.map(\.number) == (kept ? [] : [2]), "\(etag)")
    }

    @Test func anMD5ETagIsTakenAsItIsWhenTheUploaderHasNoMD5ToCompare() {
        #expect(PartETag.verdict(etag: "\"0cc175b9c0f1b6a831c399e269772661\"", md5Hex: nil) == .opaque)
        #expect(Self.plan.resume(stored: [1: "a", 2: "b", 3: "c"]).readyToComplete)
    }

    /// SSE-KMS and SSE-C ETags look like MD5s and are not: the answer's
    /// encryption headers say so, and then nothing is compared.
    @Test(arguments: [
        (nil, nil, true),                           // no encryption header
        ("AES256", nil, true),                      // SSE-S3 keeps the MD5
        ("aws:kms", nil, false),
        ("aws:kms:dsse", nil, false),
        ("AWS:KMS", nil, false),
        (nil, "AES256", false),                     // SSE-C
        ("AES256", "AES256", false),
    ] as [(String?, String?, Bool)])
    func anETagIsAnMD5OnlyWithoutKMSOrACustomerKey(_ sse: String?, _ customer: String?, _ md5: Bool) {
        #expect(PartETag.isMD5(serverSideEncryption: sse, customerKeyAlgorithm: customer) == md5)
    }

    @Test func storedPartsOutsideThePlanAreIgnored() {
        let resume = Self.plan.resume(stored: [0: "x", 4: "y", 1: "z"])
        #expect(resume.toSend.map(\.number) == [2, 3])
        #expect(resume.completed.map(\.number) == [1])
    }
}
