// Drives POST requests at the service with autocannon (from the benchmark's process, over loopback):
// each request gets a fresh body and a unique Idempotency-Key, as a real client sends; closedLoop() does the
// same for units of several requests that autocannon cannot express (approve, then pay, what was approved).
// Not a benchmark itself.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
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

/**
 * Bodies made before the run and sent in turn (each request with its own Idempotency-Key): the load
 * generator shares the machine's two cores with the service, and making a body per request (random
 * accounts, amounts, JSON) would charge the service's figures with the generator's work.
 */
const BODIES = 4096;

export async function load(options: LoadOptions): Promise<LoadFigures> {
  const keyPrefix = randomBytes(6).toString('hex');
  const bodies = Array.from({ length: BODIES }, () => JSON.stringify(options.body()));
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
          body: bodies[sent % BODIES],
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

/** One request of a closed-loop unit of work. */
export interface Step {
  method: string;
  path: string;
  token: string;
  body?: object;
}

export interface LoopOptions {
  url: string;
  connections: number;
  /** Seconds; a run also ends when next() has no more work. */
  duration: number;
  /** The next unit of work (its requests, sent one after the other on one connection), or null when there is none left. */
  next: () => Step[] | null;
}

export interface LoopFigures extends LoadFigures {
  /** Units of work whose every request was answered 2xx, and their rate (perSecond counts requests). */
  units: number;
  unitsPerSecond: number;
  /** The run ended before its duration because next() ran out of work. */
  exhausted: boolean;
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : 0);

/**
 * A closed loop over units of work that autocannon cannot express (a request whose path depends on
 * the one before, work that runs out): each of `connections` clients, on its own keep-alive socket,
 * takes the next unit and sends its requests in order, each with a unique Idempotency-Key; a non-2xx
 * answer abandons the rest of the unit. Latency is per request.
 */
export async function closedLoop(options: LoopOptions): Promise<LoopFigures> {
  const keyPrefix = randomBytes(6).toString('hex');
  const target = new URL(options.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  let sent = 0;
  const latencies: number[] = [];
  const counts = { '2xx': 0, '4xx': 0, '5xx': 0, errors: 0, timeouts: 0 };
  const refusals: Record<string, string> = {};
  let units = 0;
  let exhausted = false;

  const send = (step: Step) =>
    new Promise<number>((resolve) => {
      const data = step.body === undefined ? '' : JSON.stringify(step.body);
      const started = process.hrtime.bigint();
      const request = http.request(
        {
          host: target.hostname,
          port: target.port,
          path: step.path,
          method: step.method,
          agent,
          timeout: 30_000,
          headers: {
            authorization: `Bearer ${step.token}`,
            'idempotency-key': `${keyPrefix}-${++sent}`,
            ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}),
          },
        },
        (response) => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            if (body.length < 500) body += chunk;
          });
          response.on('end', () => {
            latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) counts['2xx'] += 1;
            else {
              if (status >= 400 && status < 500) counts['4xx'] += 1;
              if (status >= 500) counts['5xx'] += 1;
              refusals[status] ??= body.slice(0, 500);
            }
            resolve(status);
          });
        },
      );
      request.on('timeout', () => {
        counts.timeouts += 1;
        request.destroy(new Error('timeout'));
      });
      request.on('error', (error) => {
        counts.errors += 1;
        refusals.error ??= error.message;
        resolve(0);
      });
      request.end(data);
    });

  const started = process.hrtime.bigint();
  const end = Date.now() + options.duration * 1000;
  await Promise.all(
    Array.from({ length: options.connections }, async () => {
      while (Date.now() < end) {
        const unit = options.next();
        if (!unit) {
          exhausted = true;
          return;
        }
        let ok = true;
        for (const step of unit) {
          const status = await send(step);
          if (status < 200 || status > 299) {
            ok = false;
            break;
          }
        }
        if (ok) units += 1;
      }
    }),
  );
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    connections: options.connections,
    seconds: round(elapsed, 2),
    perSecond: round(counts['2xx'] / elapsed),
    p50ms: round(percentile(latencies, 50), 2),
    p99ms: round(percentile(latencies, 99), 2),
    ...counts,
    refusals,
    units,
    unitsPerSecond: round(units / elapsed),
    exhausted,
  };
}
