// Just the part of autocannon 9's programmatic API that bench/pages.ts uses (it ships no types).
declare module 'autocannon' {
  type Percentiles = { average: number; mean: number; stddev: number; min: number; max: number; total: number; p50: number; p90: number; p99: number; [k: string]: number }
  export type Result = {
    url: string
    duration: number
    requests: Percentiles & { sent: number }
    latency: Percentiles
    throughput: Percentiles
    errors: number
    timeouts: number
    non2xx: number
    mismatches: number
    '2xx': number
  }
  export type Options = {
    url: string
    connections?: number
    duration?: number
    pipelining?: number
    timeout?: number
    method?: string
    headers?: Record<string, string>
    expectBody?: string
  }
  type Instance = PromiseLike<Result> & { stop(): void }
  function autocannon(opts: Options): Instance
  export default autocannon
}
