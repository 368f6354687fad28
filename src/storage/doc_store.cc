// Placeholder translation unit; the RocksDB document store follows.
namespace lookalike::storage {}
