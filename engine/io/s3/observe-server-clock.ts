/**
 * The server's clock, from the `Date` header of its answers (`ferry check`: is this machine's clock
 * off?). A middleware in the deserialize step, the last before the request goes out, notes the local
 * time around each attempt and the header of the answer, successful or not. `Date` has one-second
 * resolution, so a skew is known to about a second plus half the round trip.
 */
import type { S3Client } from '@aws-sdk/client-s3';

export interface ServerClockSample {
  /** Date header, in ms since the epoch (whole seconds). */
  serverMs: number;
  /** Local clock when the attempt was sent and when its answer came. */
  sentAtMs: number;
  receivedAtMs: number;
}

export interface ServerClock {
  /** One sample per answer that carried a Date header (the first 1,000). */
  samples(): readonly ServerClockSample[];
}

const MAX_SAMPLES = 1_000;

function dateHeader(response: unknown): string | undefined {
  const headers = (response as { headers?: Record<string, string> } | undefined)?.headers;
  if (!headers) return undefined;
  const key = Object.keys(headers).find((name) => name.toLowerCase() === 'date');
  return key === undefined ? undefined : headers[key];
}

/**
 * Observes every answer `client` receives from now on. `now` is the local clock (tests move it to
 * simulate a skewed machine).
 */
export function observeServerClock(client: S3Client, now: () => number = Date.now): ServerClock {
  const samples: ServerClockSample[] = [];
  const record = (response: unknown, sentAtMs: number) => {
    const header = dateHeader(response);
    const serverMs = header === undefined ? Number.NaN : Date.parse(header);
    if (Number.isFinite(serverMs) && samples.length < MAX_SAMPLES) {
      samples.push({ serverMs, sentAtMs, receivedAtMs: now() });
    }
  };
  client.middlewareStack.add(
    (next) => async (args) => {
      const sentAtMs = now();
      try {
        const result = await next(args);
        record(result.response, sentAtMs);
        return result;
      } catch (error) {
        record((error as { $response?: unknown } | undefined)?.$response, sentAtMs);
        throw error;
      }
    },
    { step: 'deserialize', priority: 'high', name: 'ferryObserveServerClock' },
  );
  return { samples: () => samples };
}

/**
 * How far the server's clock is ahead of this machine's (negative: behind), and how well that is
 * known: the header's truncation to whole seconds plus half the round trip.
 */
export function serverClockSkew(sample: ServerClockSample): { skewMs: number; uncertaintyMs: number } {
  const localMidMs = (sample.sentAtMs + sample.receivedAtMs) / 2;
  const halfTripMs = (sample.receivedAtMs - sample.sentAtMs) / 2;
  return {
    skewMs: Math.round(sample.serverMs + 500 - localMidMs),
    uncertaintyMs: Math.round(500 + halfTripMs),
  };
}
