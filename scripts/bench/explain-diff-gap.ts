/**
 * Why a diff or upsert row is over its target, in figures: the seconds, in ferry's last day-2 run, of
 * the work the raw limit does not do (its checks) or does in one statement where ferry takes two (the
 * parse, then the hash pass or the merge). Read from the run's statement breakdown (breakdown.ts) and,
 * where it has them, the raw limit's own statement times, so the bench says where the gap is, not only
 * that there is one.
 */
import { KEY_COLUMN } from '../../engine/steps/compile-diff-sql.js';
import { compileDuplicateKeysSql } from '../../engine/steps/compile-duplicate-keys-sql.js';
import { MERGE_KEY_COLUMN } from '../../engine/steps/compile-merge-sql.js';
import type { Breakdown } from './breakdown.js';
import type { RawResult } from './raw-duckdb.js';

const DUPLICATE_KEY_SQL = new Set(
  [
    compileDuplicateKeysSql('current', KEY_COLUMN),
    compileDuplicateKeysSql('joined', MERGE_KEY_COLUMN),
  ].flatMap((sql) => [sql.countHashTwins, sql.countSuperseded]),
);

type Statement = Breakdown['statements'][number];

const seconds = (s: number): string => `${s.toFixed(2)} s`;

function secondsOf(ferry: Breakdown, keep: (statement: Statement) => boolean): number {
  return ferry.statements.filter(keep).reduce((total, s) => total + s.seconds, 0);
}

/** check-schema, the duplicate-key count and the parse into raw_0, as the start of a note. */
function checksAndParse(ferry: Breakdown): string {
  const checkSchema = secondsOf(ferry, (s) => s.step === 'check-schema');
  const duplicates = secondsOf(ferry, (s) => DUPLICATE_KEY_SQL.has(s.sql));
  const parse = secondsOf(ferry, (s) => s.step === 'load' && s.sql.startsWith('CREATE TABLE "raw_0"'));
  return (
    `ferry's last run: check-schema ${seconds(checkSchema)} and the duplicate-key count ${seconds(duplicates)} ` +
    `(checks the limit leaves out); the CSV parsed into a table (${seconds(parse)})`
  );
}

export function explainDiffGap(ferry: Breakdown, raw: RawResult['statements']): string {
  const hashPass = secondsOf(ferry, (s) => s.step === 'diff' && s.sql.startsWith('CREATE TABLE current '));
  const rawFirst = raw[0];
  const onePass = rawFirst === undefined ? '' : ` (the limit's one statement: ${seconds(rawFirst.seconds)})`;
  return `${checksAndParse(ferry)}, then hashed from it (${seconds(hashPass)})${onePass}`;
}

export function explainUpsertGap(ferry: Breakdown): string {
  const merge = secondsOf(ferry, (s) => s.step === 'merge-dataset');
  return `${checksAndParse(ferry)}, then merged from it (${seconds(merge)}, every merge-dataset statement), where the limit reads, merges and writes in two statements`;
}
