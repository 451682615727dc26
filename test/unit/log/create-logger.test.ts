/** Log lines: JSON with a level word, readable text on a terminal, secret-named fields redacted in both. */
import { expect, it } from 'vitest';
import { chooseLogFormat, createLogger } from '../../../engine/log/create-logger.js';
import { logRunEvent } from '../../../engine/log/log-run-event.js';

const NOW = () => Date.parse('2026-01-01T10:00:00.000Z');

it('writes one JSON line per event, with the run id and the error code', () => {
  const lines: string[] = [];
  const logger = createLogger({ format: 'json', write: (l) => lines.push(l), now: NOW });
  logRunEvent(logger, {
    type: 'run-start',
    pipeline: 'p',
    runId: 'r1',
    mode: 'apply',
    at: '2026-01-01T10:00:00.000Z',
  });
  logRunEvent(logger, {
    type: 'run-end',
    pipeline: 'p',
    runId: 'r1',
    status: 'failed',
    durationMs: 1500,
    error: { code: 'S3_ACCESS_DENIED', message: 'denied' },
  });
  expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([
    expect.objectContaining({
      level: 'info',
      time: '2026-01-01T10:00:00.000Z',
      event: 'run-start',
      runId: 'r1',
      pipeline: 'p',
    }),
    expect.objectContaining({
      level: 'error',
      event: 'run-end',
      runId: 'r1',
      status: 'failed',
      code: 'S3_ACCESS_DENIED',
    }),
  ]);
  expect(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
});

it('renders readable lines for a terminal', () => {
  const lines: string[] = [];
  const logger = createLogger({ format: 'text', write: (l) => lines.push(l), now: NOW });
  logRunEvent(logger, {
    type: 'step-end',
    pipeline: 'accounts',
    runId: 'r2',
    step: 'load',
    durationMs: 1234,
    rows: 1000,
  });
  logRunEvent(logger, {
    type: 'step-end',
    pipeline: 'accounts',
    runId: 'r2',
    step: 'upload',
    durationMs: 300,
    objects: 2,
  });
  logRunEvent(logger, {
    type: 'warning',
    pipeline: 'accounts',
    runId: 'r2',
    code: 'SEQUENCE_GAP',
    message: 'a gap',
  });
  expect(lines).toEqual([
    '10:00:00 INFO  accounts load done in 1.2 s, 1000 rows run r2\n',
    '10:00:00 INFO  accounts upload done in 300 ms, 2 objects run r2\n',
    '10:00:00 WARN  accounts a gap [SEQUENCE_GAP] run r2\n',
  ]);
});

it('redacts fields named like secrets, nested too, in both formats', () => {
  for (const format of ['json', 'text'] as const) {
    const lines: string[] = [];
    const logger = createLogger({ format, write: (l) => lines.push(l), now: NOW });
    logger.info(
      { password: 'canary-1', auth: { secretAccessKey: 'canary-2', nested: { token: 'canary-3' } } },
      'hello',
    );
    expect(lines.join('')).not.toMatch(/canary/);
    if (format === 'json') expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ password: '[redacted]' });
  }
});

it('chooses JSON off a terminal and text on one, unless told', () => {
  expect(chooseLogFormat(undefined, false)).toBe('json');
  expect(chooseLogFormat(undefined, true)).toBe('text');
  expect(chooseLogFormat('json', true)).toBe('json');
});
