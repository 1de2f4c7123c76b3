import Hummingbird

/// Answers 405 (with `Allow: GET, HEAD`) to any other method on the endpoint's paths; the
/// router answers 404 to unknown paths.
struct MethodGuard<Context: RequestContext>: RouterMiddleware {
    let paths: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method != .get, request.method != .head, paths.contains(request.uri.path) else {
            return try await next(request, context)
        }
        return Response(status: .methodNotAllowed, headers: [.allow: "GET, HEAD"])
    }
}
