/**
 * Webhook notifications against a real local HTTP receiver: the signature a receiver can check, retries
 * with backoff after a 500 (the sleeper is injected: no real waiting), no retry of a 4xx, the deadline
 * on a receiver that never answers (a short injected timeout; the receiver never answers, so the
 * outcome cannot depend on speed), header references resolved at send time, and no secret in the body.
 */
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebhookTarget } from '../../../engine/config/model.js';
import { isFerryError } from '../../../engine/errors/ferry-error.js';
import { NOTIFY_EVENT_VERSION, type NotifyEvent } from '../../../engine/notify/notify-event.js';
import { notifyRun } from '../../../engine/notify/notify-run.js';
import { sendWebhook, signWebhookBody } from '../../../engine/notify/send-webhook.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../harness/webhook-receiver.js';

const SECRET = 'canary-hmac-7f3a9c';
const TOKEN = 'canary-token-51be0d';
const ENV = { FERRY_WEBHOOK_SECRET: SECRET, WEBHOOK_TOKEN: TOKEN };
const NOW = new Date('2026-11-21T10:00:00Z');

const EVENT: NotifyEvent = {
  version: NOTIFY_EVENT_VERSION,
  kind: 'failure',
  pipeline: 'vendor-accounts-csv',
  runId: '20261121T100000Z-abcd',
  counts: { filesMatched: 2, rowsRead: 10 },
  error: { code: 'S3_ACCESS_DENIED', message: 'GetObject on s3://vendor-drops/acme/a.csv was refused.' },
  at: NOW.toISOString(),
};

function target(url: string, extra: Partial<WebhookTarget> = {}): WebhookTarget {
  return {
    kind: 'webhook',
    name: 'ops-webhook',
    url,
    headers: { Authorization: 'Bearer ${env:WEBHOOK_TOKEN}', 'X-Team': 'data' },
    secret: { ref: '${env:FERRY_WEBHOOK_SECRET}' },
    timeoutMs: 10_000,
    maxAttempts: 3,
    origin: { file: 'ferry.yaml', pointer: '/notifications/ops-webhook' },
    ...extra,
  };
}

let receiver: WebhookReceiver | undefined;
afterEach(async () => {
  await receiver?.stop();
  receiver = undefined;
});

function recordingSleep(): { sleep: (ms: number) => Promise<void>; delays: number[] } {
  const delays: number[] = [];
  return { delays, sleep: (ms) => (delays.push(ms), Promise.resolve()) };
}

describe('sendWebhook', () => {
  it('POSTs the event as JSON with a signature the receiver can verify', async () => {
    receiver = await startWebhookReceiver();
    const { attempts } = await sendWebhook(target(receiver.url), EVENT, {
      env: ENV,
      projectDir: '/nonexistent',
      now: () => NOW,
    });
    expect(attempts).toBe(1);
    const [request] = receiver.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/hooks/ferry');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request?.body ?? '')).toEqual(EVENT);
    // The receiver's check: HMAC-SHA256 over "<timestamp>.<body>" with the shared secret.
    const timestamp = String(request?.headers['x-ferry-timestamp']);
    expect(timestamp).toBe(String(NOW.getTime() / 1000));
    const expected = `sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${request?.body}`).digest('hex')}`;
    expect(request?.headers['x-ferry-signature']).toBe(expected);
    expect(signWebhookBody(SECRET, timestamp, request?.body ?? '')).toBe(expected);
    // A tampered body or an old timestamp does not verify.
    expect(signWebhookBody(SECRET, timestamp, `${request?.body} `)).not.toBe(expected);
    expect(signWebhookBody(SECRET, String(Number(timestamp) - 600), request?.body ?? '')).not.toBe(expected);
    // Header references are resolved when sending; the secret and the token are never in the body.
    expect(request?.headers['authorization']).toBe(`Bearer ${TOKEN}`);
    expect(request?.headers['x-team']).toBe('data');
    expect(request?.body).not.toContain(SECRET);
    expect(request?.body).not.toContain(TOKEN);
    expect(request?.headers['x-ferry-event']).toBe('failure');
  });

  it('retries after a 500 with backoff, re-signing each attempt under one delivery id', async () => {
    receiver = await startWebhookReceiver((i) => (i === 0 ? { status: 500 } : { status: 200 }));
    const { sleep, delays } = recordingSleep();
    let clock = NOW.getTime();
    const { attempts } = await sendWebhook(target(receiver.url), EVENT, {
      env: ENV,
      projectDir: '/nonexistent',
      sleep,
      now: () => new Date((clock += 5_000)),
    });
    expect(attempts).toBe(2);
    expect(delays).toEqual([1_000]);
    const [first, second] = receiver.requests;
    expect(second?.headers['x-ferry-delivery']).toBe(first?.headers['x-ferry-delivery']);
    expect(second?.headers['x-ferry-timestamp']).not.toBe(first?.headers['x-ferry-timestamp']);
    const ts = String(second?.headers['x-ferry-timestamp']);
    expect(second?.headers['x-ferry-signature']).toBe(signWebhookBody(SECRET, ts, second?.body ?? ''));
  });

  it('gives up after max_attempts of 503 (honouring Retry-After) with NOTIFY_WEBHOOK_REJECTED', async () => {
    receiver = await startWebhookReceiver(() => ({ status: 503, headers: { 'Retry-After': '7' } }));
    const { sleep, delays } = recordingSleep();
    const error = await sendWebhook(target(receiver.url), EVENT, { env: ENV, projectDir: '/', sleep }).catch(
      (e: unknown) => e,
    );
    expect(isFerryError(error) && error.code).toBe('NOTIFY_WEBHOOK_REJECTED');
    expect(isFerryError(error) && error.context['httpStatus']).toBe(503);
    expect(receiver.requests).toHaveLength(3);
    expect(delays).toEqual([7_000, 7_000]);
  });

  it('does not retry a 400', async () => {
    receiver = await startWebhookReceiver(() => ({ status: 400 }));
    const { sleep, delays } = recordingSleep();
    const error = await sendWebhook(target(receiver.url), EVENT, { env: ENV, projectDir: '/', sleep }).catch(
      (e: unknown) => e,
    );
    expect(isFerryError(error) && error.code).toBe('NOTIFY_WEBHOOK_REJECTED');
    expect(receiver.requests).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it('ends an attempt on a receiver that never answers (NOTIFY_TIMEOUT), then retries it', async () => {
    receiver = await startWebhookReceiver(() => 'hang');
    const { sleep, delays } = recordingSleep();
    const error = await sendWebhook(target(receiver.url, { timeoutMs: 50, maxAttempts: 2 }), EVENT, {
      env: ENV,
      projectDir: '/',
      sleep,
    }).catch((e: unknown) => e);
    expect(isFerryError(error) && error.code).toBe('NOTIFY_TIMEOUT');
    expect(receiver.requests).toHaveLength(2);
    expect(delays).toEqual([1_000]);
  });

  it('refuses an unset secret reference before sending anything (SECRET_UNRESOLVED)', async () => {
    receiver = await startWebhookReceiver();
    const error = await sendWebhook(target(receiver.url), EVENT, { env: {}, projectDir: '/' }).catch(
      (e: unknown) => e,
    );
    expect(isFerryError(error) && error.code).toBe('SECRET_UNRESOLVED');
    expect(String((error as Error).message)).toContain('${env:FERRY_WEBHOOK_SECRET}');
    expect(receiver.requests).toHaveLength(0);
  });

  it('sends nothing to a host that resolves to a metadata address (NOTIFY_FORBIDDEN_ADDRESS)', async () => {
    receiver = await startWebhookReceiver();
    const port = new URL(receiver.url).port;
    const error = await sendWebhook(target(`http://hooks.example.test:${port}/x`), EVENT, {
      env: ENV,
      projectDir: '/',
      resolveHost: () => Promise.resolve(['169.254.169.254']),
    }).catch((e: unknown) => e);
    expect(isFerryError(error) && error.code).toBe('NOTIFY_FORBIDDEN_ADDRESS');
    expect(isFerryError(error) && error.retryable).toBe(false);
    expect(receiver.requests).toHaveLength(0);
  });

  it('connects to the address it checked, keeping the URL host in the Host header', async () => {
    receiver = await startWebhookReceiver();
    const port = new URL(receiver.url).port;
    await sendWebhook(target(`http://hooks.example.test:${port}/x`), EVENT, {
      env: ENV,
      projectDir: '/',
      resolveHost: () => Promise.resolve(['127.0.0.1']),
    });
    expect(receiver.requests[0]?.headers.host).toBe(`hooks.example.test:${port}`);
  });
});

describe('notifyRun', () => {
  it('reports a failed delivery instead of throwing, with no URL or secret in the report', async () => {
    receiver = await startWebhookReceiver(() => ({ status: 500 }));
    const { sleep } = recordingSleep();
    const reports = await notifyRun(EVENT, [{ target: target(receiver.url, { maxAttempts: 2 }) }], {
      env: ENV,
      projectDir: '/',
      sleep,
    });
    expect(reports).toEqual([
      expect.objectContaining({ ok: false, attempts: 2, target: 'ops-webhook', event: 'failure' }),
    ]);
    expect(reports[0]?.error?.code).toBe('NOTIFY_WEBHOOK_REJECTED');
    const text = JSON.stringify(reports);
    expect(text).not.toContain(receiver.url);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(TOKEN);
  });
});
