// The part of autocannon 9's programmatic API that bench/harness.ts uses (it ships no types).
declare module 'autocannon' {
  type Percentiles = { mean: number; total: number; p50: number; p99: number; max: number }
  export type Result = { requests: Percentiles; latency: Percentiles; errors: number; timeouts: number; non2xx: number }
  type Request = Record<string, unknown>
  /** setupRequest may change each request (its path) before it is sent. */
  export type Options = { url: string; connections?: number; duration?: number; pipelining?: number; timeout?: number; headers?: Record<string, string>; requests?: { setupRequest?: (req: Request) => Request }[] }
  type Instance = PromiseLike<Result> & { stop(): void; on(event: 'response', f: (client: unknown, status: number, bytes: number, ms: number) => void): void }
  export default function autocannon(opts: Options): Instance
}
