import Foundation

/// Turns SIGINT and SIGTERM into a graceful stop: the signals are blocked in every thread and
/// one thread waits for them with `sigwait`, then runs the stop action once.
///
/// Call ``blockInEveryThread()`` first thing, before any thread starts (threads inherit the
/// signal mask), so the signals reach no thread that would act on them by default.
/// (libdispatch signal sources do not work here: on Linux they never see a signal set to
/// `SIG_IGN`, and without `SIG_IGN` the default action kills the process first.)
enum StopSignals {
    private static var set: sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        return set
    }

    static func blockInEveryThread() {
        var signals = set
        pthread_sigmask(SIG_BLOCK, &signals, nil)
    }

    /// Starts the waiting thread; `action` runs on it when the first signal arrives.
    static func onSignal(_ action: @escaping @Sendable () -> Void) {
        Thread {
            var signals = set
            var received: Int32 = 0
            sigwait(&signals, &received)
            action()
        }.start()
    }
}
