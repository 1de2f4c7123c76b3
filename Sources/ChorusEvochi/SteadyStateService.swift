import ChorusES
import GRPCCore

/// The gRPC face of a ``SteadyStateCoordinator``: each worker's event queue becomes its `Join`
/// stream, whose end (however it ends) is the worker leaving.
struct SteadyStateService: Chorus_Steadystate_V1_SteadyStateService.ServiceProtocol {
    let coordinator: SteadyStateCoordinator

    func join(
        request: ServerRequest<Chorus_Steadystate_V1_JoinRequest>,
        context: ServerContext
    ) async throws -> StreamingServerResponse<Chorus_Steadystate_V1_JoinEvent> {
        let secret = request.metadata[stringValues: "x-chorus-join-secret"].first { _ in true }
        let (token, events, outlet) = try await coordinator.join(cores: Int(request.message.cores), secret: secret)
        return StreamingServerResponse { [coordinator] writer in
            do {
                try await withRPCCancellationHandler { () async throws in
                    for await outbound in events {
                        switch outbound {
                        case .event(let event): try await writer.write(event)
                        case .end: return
                        }
                    }
                } onCancelRPC: {
                    outlet.finish()
                }
            } catch {
                await coordinator.streamEnded(token)
                throw error
            }
            await coordinator.streamEnded(token)
            return [:]
        }
    }

    func ask(
        request: ServerRequest<Chorus_Steadystate_V1_AskRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Chorus_Steadystate_V1_AskResponse> {
        ServerResponse(message: try await coordinator.ask(token: request.message.token, count: Int(request.message.count)))
    }

    func report(
        request: ServerRequest<Chorus_Steadystate_V1_ReportRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Chorus_Steadystate_V1_ReportResponse> {
        ServerResponse(message: try await coordinator.report(token: request.message.token, results: request.message.results,
                                                             ask: Int(request.message.ask)))
    }
}
