// Types for bench-blob.mjs, which the plain-JS parse bench and the TypeScript ship bench share.
/** The path of the benchmark blob of at least `targetMb` MB (default BENCH_MB or 300), built once. */
export function benchBlob(targetMb?: number): Promise<string>;
