/**
 * A notification as a JSON POST: bounded attempts with exponential backoff (retried: no connection,
 * a timeout, 408, 429 and 5xx; not retried: other answers, redirects included, which are never
 * followed), a deadline per attempt from connecting to the end of the answer, and — with a secret —
 * an HMAC-SHA256 signature over the timestamp and the body, so a receiver can check who sent it and
 * refuse a replay. Each attempt is signed afresh; the delivery id stays the same, for deduplication.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { WebhookTarget } from '../config/model.js';
import { FerryError } from '../errors/ferry-error.js';
import { backoffDelayMs, parseRetryAfterMs, realSleep, type Sleep } from './backoff.js';
import type { NotifyEvent } from './notify-event.js';
import { resolveNotifyReferences } from './resolve-notify-references.js';
import { resolveTargetAddress, type HostResolver } from './resolve-target-address.js';

export const SIGNATURE_HEADER = 'x-ferry-signature';
export const TIMESTAMP_HEADER = 'x-ferry-timestamp';
/** Answers are read and dropped; past this many bytes the connection is closed. */
const MAX_ANSWER_BYTES = 64 * 1024;

export interface SendWebhookDeps {
  env: NodeJS.ProcessEnv;
  projectDir: string;
  sleep?: Sleep;
  now?: () => Date;
  resolveHost?: HostResolver;
}

/** `sha256=<hex>` of HMAC-SHA256(secret, "<timestamp>.<body>"): what X-Ferry-Signature carries. */
export function signWebhookBody(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

interface Answer {
  status: number;
  retryAfter: string | undefined;
}

export async function sendWebhook(
  target: WebhookTarget,
  event: NotifyEvent,
  deps: SendWebhookDeps,
): Promise<{ attempts: number }> {
  const sleep = deps.sleep ?? realSleep;
  const now = deps.now ?? (() => new Date());
  const refs = (field: string) => ({
    env: deps.env,
    projectDir: deps.projectDir,
    target: target.name,
    field,
  });
  const body = JSON.stringify(event);
  const secret = target.secret ? resolveNotifyReferences(target.secret.ref, refs('secret')) : undefined;
  const custom: Record<string, string> = {};
  for (const [name, value] of Object.entries(target.headers)) {
    custom[name.toLowerCase()] = resolveNotifyReferences(value, refs(`header ${name}`));
  }
  const url = parseWebhookUrl(resolveNotifyReferences(target.url, refs('url')), target);
  const deliveryId = randomUUID();
  let lastError: FerryError | undefined;
  for (let attempt = 1; attempt <= target.maxAttempts; attempt++) {
    const timestamp = String(Math.floor(now().getTime() / 1000));
    const headers: Record<string, string> = {
      ...custom,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'user-agent': 'ferry',
      'x-ferry-event': event.kind,
      'x-ferry-delivery': deliveryId,
      [TIMESTAMP_HEADER]: timestamp,
      ...(secret !== undefined ? { [SIGNATURE_HEADER]: signWebhookBody(secret, timestamp, body) } : {}),
    };
    let retryAfterMs: number | undefined;
    try {
      const { address, family } = await resolveTargetAddress(url.hostname, {
        target: target.name,
        ...(deps.resolveHost ? { resolveHost: deps.resolveHost } : {}),
      });
      const answer = await postOnce(url, body, headers, { timeoutMs: target.timeoutMs, address, family });
      if (answer.status >= 200 && answer.status < 300) return { attempts: attempt };
      const retryable = answer.status === 408 || answer.status === 429 || answer.status >= 500;
      lastError = new FerryError(
        'NOTIFY_WEBHOOK_REJECTED',
        `Notification target "${target.name}" answered HTTP ${answer.status}${retryable ? '' : ' (not retried)'}.`,
        {
          context: { target: target.name, httpStatus: answer.status, attempts: attempt },
          retryable,
          hint:
            answer.status >= 300 && answer.status < 400
              ? 'ferry does not follow redirects: set the final URL.'
              : 'Check the receiver’s logs; a 401/403 usually means the token or signature secret differs.',
        },
      );
      retryAfterMs = parseRetryAfterMs(answer.retryAfter, now());
    } catch (error) {
      lastError = toFerryError(error, target, attempt);
    }
    if (!lastError.retryable || attempt === target.maxAttempts) break;
    await sleep(backoffDelayMs(attempt, retryAfterMs));
  }
  throw (
    lastError ??
    new FerryError('NOTIFY_WEBHOOK_REJECTED', `Notification target "${target.name}" was not reached.`)
  );
}

/**
 * The resolved URL (a secret setting, resolved only now), held to the rules validate applies to a
 * literal one: http(s), no credentials. The message names the target only, never the URL.
 */
function parseWebhookUrl(text: string, target: WebhookTarget): URL {
  const refuse = (what: string, hint: string) =>
    new FerryError('NOTIFY_INVALID_URL', `Notification target "${target.name}": its url ${what}.`, {
      context: { target: target.name },
      hint,
    });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw refuse('is not a valid URL', 'Check the value of the reference in notifications.<target>.url.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw refuse('does not use http or https', 'Give the webhook an http(s) URL.');
  }
  if (url.username || url.password) {
    throw refuse(
      'contains credentials (user:password@)',
      'Remove them from the URL; send a token in headers: {Authorization: "Bearer ${env:WEBHOOK_TOKEN}"}.',
    );
  }
  return url;
}

function toFerryError(error: unknown, target: WebhookTarget, attempt: number): FerryError {
  if (error instanceof FerryError) {
    error.context['attempts'] = attempt;
    return error;
  }
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'NOTIFY_TIMEOUT') {
    return new FerryError(
      'NOTIFY_TIMEOUT',
      `Notification target "${target.name}" did not answer within ${target.timeoutMs} ms.`,
      {
        context: { target: target.name, attempts: attempt },
        retryable: true,
        hint: 'Raise timeout_ms, or check the receiver.',
      },
    );
  }
  return new FerryError(
    'NOTIFY_NETWORK',
    `Notification target "${target.name}" could not be reached (${code ?? 'network error'}).`,
    {
      context: { target: target.name, attempts: attempt, errno: code ?? 'unknown' },
      cause: error,
      retryable: true,
      hint: 'Check the URL’s host and port, and that ferry’s network can reach it.',
    },
  );
}

/** One POST to the checked address; resolves with the status once the whole answer has arrived. */
function postOnce(
  url: URL,
  body: string,
  headers: Record<string, string>,
  options: { timeoutMs: number; address: string; family: 4 | 6 },
): Promise<Answer> {
  const lookup: LookupFunction = (_hostname, lookupOptions, callback) => {
    if (lookupOptions.all === true) callback(null, [{ address: options.address, family: options.family }]);
    else callback(null, options.address, options.family);
  };
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<Answer>((resolve, reject) => {
    const req = request({
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      headers,
      lookup,
      agent: false,
    });
    const timeout = Object.assign(new Error('timeout'), { code: 'NOTIFY_TIMEOUT' });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy(timeout);
    }, options.timeoutMs);
    const finish = (fn: () => void) => {
      clearTimeout(timer);
      fn();
    };
    req.on('error', (error) => finish(() => reject(error)));
    req.on('response', (res: IncomingMessage) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > MAX_ANSWER_BYTES) res.destroy();
      });
      const answer = () => ({ status: res.statusCode ?? 0, retryAfter: headerOf(res, 'retry-after') });
      res.on('end', () => finish(() => resolve(answer())));
      // An answer cut short by the receiver (or too long) still has its status: that is what counts;
      // one that stalled past the deadline is a timeout.
      res.on('close', () => finish(() => (timedOut ? reject(timeout) : resolve(answer()))));
      res.on('error', () => undefined);
    });
    req.end(body);
  });
}

function headerOf(res: IncomingMessage, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
