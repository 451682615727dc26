/** A RunEvent as one log line: the same fields in JSON, a short sentence in text. */
import type { RunEvent } from '../run/run-events.js';
import type { Logger } from './create-logger.js';

export function logRunEvent(logger: Logger, event: RunEvent, extra: Record<string, unknown> = {}): void {
  const { type, ...fields } = event;
  const base = { ...extra, ...fields, event: type };
  switch (event.type) {
    case 'run-start':
      logger.info(base, `run started (${event.mode})`);
      return;
    case 'step-end':
      logger.info(
        base,
        `${event.step} done in ${formatDuration(event.durationMs)}${event.rows !== undefined ? `, ${event.rows} rows` : ''}${event.objects !== undefined ? `, ${event.objects} object${event.objects === 1 ? '' : 's'}` : ''}`,
      );
      return;
    case 'warning':
      logger.warn(base, event.message);
      return;
    case 'notification': {
      const line = `${event.event} notification to ${event.target}`;
      if (event.ok) logger.info(base, `${line} sent`);
      else
        logger.warn(
          { ...base, code: event.error?.code },
          `${line} failed: ${event.error?.message ?? 'unknown error'}`,
        );
      return;
    }
    case 'run-end': {
      const withCode = { ...base, code: event.error?.code };
      const counts = event.status === 'failed' ? '' : describeCounts(event.counts);
      const summary = `run ${event.status} in ${formatDuration(event.durationMs)}${counts}`;
      if (event.status === 'failed')
        logger.error(withCode, `${summary}: ${event.error?.message ?? 'failed'}`);
      else logger.info(withCode, summary);
      return;
    }
    default: {
      const never: never = event;
      throw new Error(`unknown run event ${JSON.stringify(never)}`);
    }
  }
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function describeCounts(counts: Record<string, number> | undefined): string {
  if (!counts) return '';
  const parts: string[] = [];
  if (counts['rowsRead'] !== undefined) parts.push(`${counts['rowsRead']} rows read`);
  if (counts['rowsWritten'] !== undefined) parts.push(`${counts['rowsWritten']} written`);
  if (counts['rowsRejected']) parts.push(`${counts['rowsRejected']} rejected`);
  if (counts['objectsWritten']) parts.push(`${counts['objectsWritten']} objects`);
  return parts.length ? `: ${parts.join(', ')}` : '';
}

/**
 * A listener for runProject's run events (its coming `onEvent` option): what `ferry apply` will pass
 * so that it logs as it goes instead of printing everything at the end.
 */
export function createRunEventLogger(logger: Logger): (event: RunEvent) => void {
  return (event) => logRunEvent(logger, event);
}
