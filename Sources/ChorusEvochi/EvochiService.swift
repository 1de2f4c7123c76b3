import ChorusES
import GRPCCore

/// The gRPC face of an ``EvochiCoordinator``: decodes requests, checks the bearer token, and
/// turns each worker's event queue into its `Subscribe` stream.
struct EvochiService: Evochi_V1_EvochiService.ServiceProtocol {
    let coordinator: EvochiCoordinator

    func subscribe(
        request: ServerRequest<Evochi_V1_SubscribeRequest>,
        context: ServerContext
    ) async throws -> StreamingServerResponse<Evochi_V1_SubscribeResponse> {
        let secret = request.metadata[stringValues: "x-chorus-join-secret"].first { _ in true }
        let (id, events, outlet) = try await coordinator.subscribe(cores: Int(request.message.cores), secret: secret)
        return StreamingServerResponse { [coordinator] writer in
            // However the stream ends (the run is over, eviction, the worker went away, an error
            // writing to it), the coordinator hears of it once. A worker that vanishes cancels the
            // RPC, which ends the event queue.
            do {
                return try await withRPCCancellationHandler { () async throws -> Metadata in
                    for await outbound in events {
                        switch outbound {
                        case .event(let message):
                            try await writer.write(message)
                        case .end(.runFinished):
                            throw RPCError(code: .cancelled, message: "the run is over")
                        case .end(.evicted(let reason)):
                            throw RPCError(code: .aborted, message: "removed from the pool: \(reason)")
                        }
                    }
                    throw RPCError(code: .unavailable, message: "the stream was cancelled or the coordinator is shutting down")
                } onCancelRPC: {
                    outlet.finish()
                }
            } catch {
                await coordinator.streamEnded(id)
                throw error
            }
        }
    }

    func heartbeat(
        request: ServerRequest<Evochi_V1_HeartbeatRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Evochi_V1_HeartbeatResponse> {
        try await coordinator.heartbeat(token: Self.token(request.metadata))
        return ServerResponse(message: .with { $0.ok = true })
    }

    func finishEvaluation(
        request: ServerRequest<Evochi_V1_FinishEvaluationRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Evochi_V1_FinishEvaluationResponse> {
        var evaluations: [Evaluation] = []
        for evaluation in request.message.evaluations {
            guard let slice = MemberRange(wire: evaluation.slice) else {
                throw RPCError(code: .invalidArgument, message: "invalid slice [\(evaluation.slice.start), \(evaluation.slice.end))")
            }
            evaluations.append(Evaluation(slice: slice, rewards: evaluation.rewards))
        }
        let ok = try await finish(request, task: request.message.taskID, .evaluation(evaluations))
        return ServerResponse(message: .with { $0.ok = ok })
    }

    func finishOptimization(
        request: ServerRequest<Evochi_V1_FinishOptimizationRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Evochi_V1_FinishOptimizationResponse> {
        let ok = try await finish(request, task: request.message.taskID, .optimization)
        return ServerResponse(message: .with { $0.ok = ok })
    }

    func finishInitialization(
        request: ServerRequest<Evochi_V1_FinishInitializationRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Evochi_V1_FinishInitializationResponse> {
        let ok = try await finish(request, task: request.message.taskID, .initialization([UInt8](request.message.state)))
        return ServerResponse(message: .with { $0.ok = ok })
    }

    func finishShareState(
        request: ServerRequest<Evochi_V1_FinishShareStateRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Evochi_V1_FinishShareStateResponse> {
        let ok = try await finish(request, task: request.message.taskID, .shareState([UInt8](request.message.state)))
        return ServerResponse(message: .with { $0.ok = ok })
    }

    private func finish<Message>(
        _ request: ServerRequest<Message>, task: String, _ call: EvochiCoordinator.FinishCall
    ) async throws -> Bool {
        try await coordinator.finish(token: Self.token(request.metadata), task: task, call)
    }

    /// The token of `authorization: Bearer <token>`.
    static func token(_ metadata: Metadata) -> String? {
        for value in metadata[stringValues: "authorization"] where value.hasPrefix("Bearer ") {
            return String(value.dropFirst("Bearer ".count))
        }
        return nil
    }
}
