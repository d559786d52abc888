// Drives POST requests at the service with autocannon (from the benchmark's process, over loopback):
// each request gets a fresh body and a unique Idempotency-Key, as a real client sends. Not a benchmark itself.
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { round } from './service.js';

export interface LoadOptions {
  url: string;
  token: string;
  path: string;
  connections: number;
  duration: number;
  /** The body of the next request. */
  body: () => object;
}

export interface LoadFigures {
  connections: number;
  seconds: number;
  /** Requests answered 2xx per second: the postings the service accepted. */
  perSecond: number;
  p50ms: number;
  p99ms: number;
  '2xx': number;
  '4xx': number;
  '5xx': number;
  errors: number;
  timeouts: number;
  /** The first answer of each non-2xx status, to see why. */
  refusals: Record<string, string>;
}

export async function load(options: LoadOptions): Promise<LoadFigures> {
  const keyPrefix = randomBytes(6).toString('hex');
  let sent = 0;
  const refusals: Record<string, string> = {};
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.duration,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path: options.path,
        setupRequest: (request) => ({
          ...request,
          headers: {
            ...request.headers,
            authorization: `Bearer ${options.token}`,
            'content-type': 'application/json',
            'idempotency-key': `${keyPrefix}-${++sent}`,
          },
          body: JSON.stringify(options.body()),
        }),
        onResponse: (status, body) => {
          if ((status < 200 || status > 299) && !refusals[status]) refusals[status] = body.slice(0, 500);
        },
      },
    ],
  });
  return {
    connections: options.connections,
    seconds: round(result.duration, 2),
    perSecond: round(result['2xx'] / result.duration),
    p50ms: result.latency.p50,
    p99ms: result.latency.p99,
    '2xx': result['2xx'],
    '4xx': result['4xx'],
    '5xx': result['5xx'],
    errors: result.errors,
    timeouts: result.timeouts,
    refusals,
  };
}

/** Samples a reading every `everyMs` until stopped; the samples carry seconds since the start. */
export function sampler(read: () => number, everyMs: number) {
  const started = Date.now();
  const samples: { s: number; value: number }[] = [];
  const take = () => samples.push({ s: (Date.now() - started) / 1000, value: read() });
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}

/** Least-squares slope of value against time, per minute. */
export function slopePerMinute(samples: { s: number; value: number }[]) {
  const n = samples.length;
  if (n < 2) return 0;
  const meanS = samples.reduce((a, p) => a + p.s, 0) / n;
  const meanV = samples.reduce((a, p) => a + p.value, 0) / n;
  const cov = samples.reduce((a, p) => a + (p.s - meanS) * (p.value - meanV), 0);
  const varS = samples.reduce((a, p) => a + (p.s - meanS) ** 2, 0);
  return varS ? (cov / varS) * 60 : 0;
}
