/// Which members of the running epoch are waiting, handed out, or rewarded, and their rewards.
struct EpochProgress {
    let epoch: Int
    /// Slices nobody holds, a LIFO stack: released slices go on top and are handed out first.
    private var unassigned: [MemberRange]
    /// Per member: rewarded already (the first accepted result wins).
    private var accepted: [Bool]
    /// Per member: the accepted reward (0 until then).
    private(set) var rewards: [Float]
    private var rewardedCount = 0
    /// Per member: how many live evaluation tasks cover it.
    private var holders: [UInt8]

    init(epoch: Int, populationSize: Int) {
        self.epoch = epoch
        unassigned = [MemberRange(0, populationSize)]
        accepted = [Bool](repeating: false, count: populationSize)
        rewards = [Float](repeating: 0, count: populationSize)
        holders = [UInt8](repeating: 0, count: populationSize)
    }

    /// Records `reward` for member `index`; `false` if it was rewarded already (the engine has
    /// validated the result).
    mutating func accept(_ index: Int, reward: Float) -> Bool {
        guard !accepted[index] else { return false }
        accepted[index] = true
        rewards[index] = reward
        rewardedCount += 1
        return true
    }

    /// Every member has its reward.
    var isComplete: Bool { rewardedCount == accepted.count }

    /// Pops up to `width` members off the stack, splitting the last slice taken if needed.
    mutating func take(width: Int) -> [MemberRange] {
        var taken: [MemberRange] = []
        var room = width
        while room > 0, let top = unassigned.popLast() {
            if top.count <= room {
                taken.append(top)
                room -= top.count
            } else {
                taken.append(MemberRange(top.start, top.start + room))
                unassigned.append(MemberRange(top.start + room, top.end))
                room = 0
            }
        }
        return taken
    }

    /// Members of `slices` that are unrewarded and held by exactly one task: candidates to run
    /// a second time for a straggler, as slices of at most `width` members in total.
    func reissuable(from slices: [MemberRange], width: Int) -> [MemberRange] {
        var found: [MemberRange] = []
        var room = width
        for slice in slices {
            for run in runs(in: slice, where: { !accepted[$0] && holders[$0] == 1 }) where room > 0 {
                let piece = MemberRange(run.start, min(run.end, run.start + room))
                found.append(piece)
                room -= piece.count
            }
        }
        return found
    }

    /// A task now covers `slices`.
    mutating func hold(_ slices: [MemberRange]) {
        for slice in slices {
            for index in slice.indices { holders[index] += 1 }
        }
    }

    /// A task covering `slices` is gone; members nobody covers and nobody rewarded go back on
    /// the stack (lowest first out).
    mutating func release(_ slices: [MemberRange]) {
        var freed: [MemberRange] = []
        for slice in slices {
            for index in slice.indices { holders[index] -= 1 }
            freed += runs(in: slice, where: { !accepted[$0] && holders[$0] == 0 })
        }
        unassigned += freed.sorted().reversed()
    }

    /// Maximal runs of consecutive members of `slice` that satisfy `test`.
    private func runs(in slice: MemberRange, where test: (Int) -> Bool) -> [MemberRange] {
        var runs: [MemberRange] = []
        var start: Int?
        for index in slice.indices {
            if test(index) {
                if start == nil { start = index }
            } else if let first = start {
                runs.append(MemberRange(first, index))
                start = nil
            }
        }
        if let first = start { runs.append(MemberRange(first, slice.end)) }
        return runs
    }
}
