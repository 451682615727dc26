/**
 * `ferry check`'s findings as text: per connection its credentials and clock, then per bucket the
 * HeadBucket answer and, per prefix a pipeline uses, list / read / write. ✔ ok, ⚠ warning,
 * ✖ failed (with the code and what to do), – not tested (with why). A summary line ends it.
 */
import type { CheckItem, CheckStatus, ConnectionCheck } from '../plan/connection-check.js';

const SYMBOL: Record<CheckStatus, string> = { ok: '✔', warning: '⚠', failed: '✖', skipped: '–' };

const ansi = (code: number) => (s: string) => `\u001b[${code}m${s}\u001b[0m`;

function paint(status: CheckStatus, color: boolean): (s: string) => string {
  if (!color) return (s) => s;
  return status === 'ok'
    ? ansi(32)
    : status === 'warning'
      ? ansi(33)
      : status === 'failed'
        ? ansi(31)
        : ansi(2);
}

function itemLines(item: CheckItem, indent: string, color: boolean): string[] {
  const where = item.prefix === undefined ? '' : `${item.prefix || '(bucket root)'} (${item.role ?? ''}): `;
  const code = item.code ? ` [${item.code}]` : '';
  const lines = [
    `${indent}${paint(item.status, color)(SYMBOL[item.status])} ${item.kind.padEnd(12)} ${where}${item.detail}${code}`,
  ];
  if (item.hint && item.status !== 'ok') lines.push(`${indent}  ${' '.repeat(13)}hint: ${item.hint}`);
  return lines;
}

function connectionLines(check: ConnectionCheck, color: boolean): string[] {
  const lines = [`Connection ${check.connection} — ${check.endpoint ?? 'AWS'}, ${check.auth}`];
  const buckets = new Map<string, CheckItem[]>();
  for (const item of check.items) {
    if (item.bucket === undefined) lines.push(...itemLines(item, '  ', color));
    else buckets.set(item.bucket, [...(buckets.get(item.bucket) ?? []), item]);
  }
  for (const [bucket, items] of buckets) {
    lines.push(`  s3://${bucket}`);
    for (const item of items) lines.push(...itemLines(item, '    ', color));
  }
  return lines;
}

export function countChecks(checks: readonly ConnectionCheck[]): Record<CheckStatus, number> {
  const counts: Record<CheckStatus, number> = { ok: 0, warning: 0, failed: 0, skipped: 0 };
  for (const item of checks.flatMap((c) => c.items)) counts[item.status] += 1;
  return counts;
}

export function renderConnectionChecks(
  checks: readonly ConnectionCheck[],
  options: { color: boolean },
): string {
  const lines = checks.flatMap((check) => [...connectionLines(check, options.color), '']);
  const counts = countChecks(checks);
  const n = checks.length;
  lines.push(
    `${n} connection${n === 1 ? '' : 's'}: ${counts.ok} ok, ${counts.warning} warning${counts.warning === 1 ? '' : 's'}, ` +
      `${counts.failed} failed, ${counts.skipped} not tested.`,
  );
  return `${lines.join('\n')}\n`;
}
