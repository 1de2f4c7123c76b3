// A rollout worker needs schemas and samples with its client: `import ChorusClient` is enough.
@_exported import ChorusCore
