/// Which members of the running epoch are waiting, handed out, or rewarded.
struct EpochProgress {
    let epoch: Int
    /// Slices nobody holds, a LIFO stack: released slices go on top and are handed out first.
    private var unassigned: [Slice]
    /// Per member: rewarded already (the first accepted result wins).
    private var accepted: [Bool]
    /// Per member: how many live evaluation tasks cover it.
    private var holders: [UInt8]

    init(epoch: Int, populationSize: Int) {
        self.epoch = epoch
        unassigned = [Slice(0, populationSize)]
        accepted = [Bool](repeating: false, count: populationSize)
        holders = [UInt8](repeating: 0, count: populationSize)
    }

    /// Marks `index` rewarded; `false` if it already was.
    mutating func accept(_ index: Int) -> Bool {
        guard !accepted[index] else { return false }
        accepted[index] = true
        return true
    }

    /// Pops up to `width` members off the stack, splitting the last slice taken if needed.
    mutating func take(width: Int) -> [Slice] {
        var taken: [Slice] = []
        var room = width
        while room > 0, let top = unassigned.popLast() {
            if top.count <= room {
                taken.append(top)
                room -= top.count
            } else {
                taken.append(Slice(top.start, top.start + room))
                unassigned.append(Slice(top.start + room, top.end))
                room = 0
            }
        }
        return taken
    }

    /// Members of `slices` that are unrewarded and held by exactly one task: candidates to run
    /// a second time for a straggler, as slices of at most `width` members in total.
    func reissuable(from slices: [Slice], width: Int) -> [Slice] {
        var found: [Slice] = []
        var room = width
        for slice in slices {
            for run in runs(in: slice, where: { !accepted[$0] && holders[$0] == 1 }) where room > 0 {
                let piece = Slice(run.start, min(run.end, run.start + room))
                found.append(piece)
                room -= piece.count
            }
        }
        return found
    }

    /// A task now covers `slices`.
    mutating func hold(_ slices: [Slice]) {
        for slice in slices {
            for index in slice.indices { holders[index] += 1 }
        }
    }

    /// A task covering `slices` is gone; members nobody covers and nobody rewarded go back on
    /// the stack (lowest first out).
    mutating func release(_ slices: [Slice]) {
        var freed: [Slice] = []
        for slice in slices {
            for index in slice.indices { holders[index] -= 1 }
            freed += runs(in: slice, where: { !accepted[$0] && holders[$0] == 0 })
        }
        unassigned += freed.sorted().reversed()
    }

    /// Maximal runs of consecutive members of `slice` that satisfy `test`.
    private func runs(in slice: Slice, where test: (Int) -> Bool) -> [Slice] {
        var runs: [Slice] = []
        var start: Int?
        for index in slice.indices {
            if test(index) {
                if start == nil { start = index }
            } else if let first = start {
                runs.append(Slice(first, index))
                start = nil
            }
        }
        if let first = start { runs.append(Slice(first, slice.end)) }
        return runs
    }
}
