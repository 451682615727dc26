/** The profile printed after a scenario (to stderr): ferry's phases and its slowest DuckDB statements. */
import type { Breakdown } from './breakdown.js';
import { seconds, table } from './report.js';

export function slowestStatements(title: string, breakdown: Breakdown, top: number): string {
  const slowest = [...breakdown.statements].sort((a, b) => b.seconds - a.seconds).slice(0, top);
  return [
    '',
    `${title}:`,
    table(
      ['phase', 'seconds', 'SQL s', 'statements'],
      breakdown.phases.map((p) => [p.name, seconds(p.seconds), seconds(p.sqlSeconds), String(p.statements)]),
    ),
    table(
      ['step', 'seconds', 'sql'],
      slowest.map((s) => [s.step, seconds(s.seconds), abbreviate(s.sql)]),
    ),
    '',
  ].join('\n');
}

/** One line, long column lists elided, at most 110 characters. */
export function abbreviate(sql: string): string {
  const flat = sql.replace(/\s+/g, ' ').replace(/read_csv\([^)]*\)/g, 'read_csv(…)');
  return flat.length > 110 ? `${flat.slice(0, 109)}…` : flat;
}
