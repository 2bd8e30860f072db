// autocannon ships no types and @types/autocannon is not installed; only what the bench uses.
declare module "autocannon" {
  export interface Options {
    url: string;
    connections?: number;
    duration?: number;
    workers?: number;
    headers?: Record<string, string>;
    method?: "GET" | "POST";
    body?: string;
    requests?: { setupRequest?: (req: { body?: string }) => { body?: string } }[];
  }
  export interface Histogram {
    average: number;
    p50: number;
    p99: number;
  }
  export interface Result {
    requests: Histogram & { total: number };
    latency: Histogram;
    non2xx: number;
    errors: number;
    timeouts: number;
  }
  function autocannon(options: Options): Promise<Result>;
  export default autocannon;
}
