// A learner needs schemas, samples and (for tests and same-process producers) the client:
// `import Chorus` is all it takes.
@_exported import ChorusClient
@_exported import ChorusCore
