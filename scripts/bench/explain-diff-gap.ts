/**
 * Why a diff row is over its target, in figures: the seconds, in ferry's last day-2 run, of the work
 * the raw limit does not do (its checks) or does in one statement where ferry takes two (the parse,
 * then the hash pass). Read from the run's statement breakdown (breakdown.ts) and the raw limit's own
 * statement times, so the bench says where the gap is, not only that there is one.
 */
import { KEY_COLUMN } from '../../engine/steps/compile-diff-sql.js';
import { compileDuplicateKeysSql } from '../../engine/steps/compile-duplicate-keys-sql.js';
import type { Breakdown } from './breakdown.js';
import type { RawResult } from './raw-duckdb.js';

const DUPLICATE_KEY_SQL = new Set(Object.values(compileDuplicateKeysSql('current', KEY_COLUMN)));

const seconds = (s: number): string => `${s.toFixed(2)} s`;

export function explainDiffGap(ferry: Breakdown, raw: RawResult['statements']): string {
  const sum = (keep: (statement: Breakdown['statements'][number]) => boolean): number =>
    ferry.statements.filter(keep).reduce((total, s) => total + s.seconds, 0);
  const checkSchema = sum((s) => s.step === 'check-schema');
  const duplicates = sum((s) => DUPLICATE_KEY_SQL.has(s.sql));
  const parse = sum((s) => s.step === 'load' && s.sql.startsWith('CREATE TABLE "raw_0"'));
  const hashPass = sum((s) => s.step === 'diff' && s.sql.startsWith('CREATE TABLE current '));
  const rawFirst = raw[0];
  const onePass = rawFirst === undefined ? '' : ` (the limit's one statement: ${seconds(rawFirst.seconds)})`;
  return (
    `ferry's last run: check-schema ${seconds(checkSchema)} and the duplicate-key count ${seconds(duplicates)} ` +
    `(checks the limit leaves out); the CSV parsed into a table (${seconds(parse)}), then hashed from it ` +
    `(${seconds(hashPass)})${onePass}`
  );
}
