/**
 * Rules for an S3 source that a schema cannot express: `match` compiles in RE2 (linear time) and
 * names only the groups ferry reads, a timestamp group and `timestamp_format` come together, and
 * what needs a timestamp (pick: sequence, order: timestamp) has one. Also the timestamp format
 * check that sinks share.
 */
import { RE2JS } from 're2js';
import { compileTimestampFormat, TimestampFormatError } from '../time/timestamp-format.js';
import type { S3Source } from './model.js';
import type { RuleIssue } from './rule-issue.js';

/** Where a rule points: a file, a pointer in it, and whether the key or the value is meant. */
export type IssueWhere = Pick<RuleIssue, 'file' | 'pointer' | 'target'>;

/** A pipeline's pointer (relative to the pipeline) → where in its file. */
export type At = (path: string, target?: 'key' | 'value') => IssueWhere;

export function checkS3Source(source: S3Source, issues: RuleIssue[], at: At): void {
  const hasTimestampGroup = checkMatch(source, issues, at);
  const badRegex = issues.some((i) => i.code === 'CONFIG_BAD_REGEX' && i.pointer.endsWith('/source/match'));
  if (source.timestampFormat !== undefined) {
    checkTimestampFormat(source.timestampFormat, issues, at('/source/timestamp_format'));
    if (!hasTimestampGroup) {
      issues.push({
        code: 'CONFIG_TIMESTAMP_GROUP_MISSING',
        severity: 'error',
        message: 'source.timestamp_format is set but source.match has no (?P<timestamp>…) group.',
        hint: 'Add a named group to match, e.g. ^accounts_(?P<timestamp>\\d{8})\\.csv$.',
        ...at('/source/timestamp_format', 'key'),
      });
    }
  } else if (hasTimestampGroup && source.match !== undefined && !badRegex) {
    issues.push({
      code: 'CONFIG_MISSING_KEY',
      severity: 'error',
      message: 'source.match has a timestamp group but source.timestamp_format is not set.',
      hint: 'Say how to read it, e.g. timestamp_format: "YYYYMMDD" (MM = month, mm = minute).',
      ...at('/source', 'key'),
    });
  }
  const needsTimestamp =
    source.pick === 'sequence'
      ? 'pick: sequence'
      : source.order === 'timestamp'
        ? 'order: timestamp'
        : undefined;
  if (needsTimestamp && (source.match === undefined || !hasTimestampGroup)) {
    issues.push({
      code: 'CONFIG_TIMESTAMP_GROUP_MISSING',
      severity: 'error',
      message: `source.${needsTimestamp} needs a timestamp in the file name, but source.match has no (?P<timestamp>…) group.`,
      hint: 'Add match: ^prefix_(?P<timestamp>\\d{14})\\.json$ and timestamp_format: "YYYYMMDDHHmmss".',
      ...at(source.pick === 'sequence' ? '/source/pick' : '/source/order'),
    });
  }
  if (source.sequence && source.pick !== 'sequence') {
    issues.push({
      code: 'CONFIG_CONFLICT',
      severity: 'error',
      message: 'source.sequence only applies with pick: sequence.',
      hint: 'Set pick: sequence, or remove sequence.',
      ...at('/source/sequence', 'key'),
    });
  }
}

/** Checks source.match; true when it has a timestamp group (or does not compile: already reported). */
function checkMatch(source: S3Source, issues: RuleIssue[], at: At): boolean {
  if (source.match === undefined) return false;
  try {
    const compiled = RE2JS.compile(source.match);
    const groups = Object.keys(compiled.namedGroups());
    const unknown = groups.filter((g) => g !== 'timestamp');
    if (unknown.length) {
      issues.push({
        code: 'CONFIG_UNKNOWN_REGEX_GROUP',
        severity: 'warning',
        message: `Named group${unknown.length > 1 ? 's' : ''} ${unknown.map((g) => `"${g}"`).join(', ')} in source.match ${unknown.length > 1 ? 'are' : 'is'} not used by ferry.`,
        hint: 'Only a group named "timestamp" has a meaning; use plain (…) groups otherwise.',
        ...at('/source/match'),
      });
    }
    return groups.includes('timestamp');
  } catch (error) {
    const detail =
      error instanceof Error ? error.message.replace(/^error parsing regexp: /, '') : String(error);
    issues.push({
      code: 'CONFIG_BAD_REGEX',
      severity: 'error',
      message: `source.match is not a valid RE2 regular expression: ${detail}.`,
      hint: 'ferry uses RE2 (linear time): no lookarounds (?=…) or backreferences \\1. Name the timestamp group (?P<timestamp>…).',
      ...at('/source/match'),
    });
    return true; // already reported; do not pile on
  }
}

export function checkTimestampFormat(format: string, issues: RuleIssue[], where: IssueWhere): void {
  const problem = explainTimestampFormat(format);
  if (!problem) return;
  issues.push({
    code: 'CONFIG_BAD_TIMESTAMP_FORMAT',
    severity: 'error',
    message: `Timestamp format "${format}": ${problem.reason}`,
    hint: problem.hint,
    ...where,
  });
}

/** Why a token-form timestamp format does not compile, and a hint, or undefined when it compiles. */
export function explainTimestampFormat(format: string): { reason: string; hint: string } | undefined {
  try {
    compileTimestampFormat(format);
    return undefined;
  } catch (error) {
    if (!(error instanceof TimestampFormatError)) throw error;
    const guess = suggestTimestampFormat(format);
    return {
      reason: error.message,
      hint: `${guess !== undefined ? `Did you mean "${guess}"? ` : ''}MM is the month and mm the minute; see docs/seed-options.md for the token table.`,
    };
  }
}

/**
 * Java/strftime habits in a moment-style format: `yyyyMMdd` → `YYYYMMDD`, `dd.MM.yyyy hh:mm` →
 * `DD.MM.YYYY HH:mm`. Only suggested when the result is a valid format.
 */
function suggestTimestampFormat(format: string): string | undefined {
  // Split into [literal] parts (kept) and token parts (rewritten).
  const parts = format.split(/(\[[^\]]*\])/);
  const tokens = parts.filter((_, i) => i % 2 === 0).join('');
  // `yyyy-mm-dd` almost always means month; with no hour in the format, mm is read as MM.
  const minuteMeansMonth = !/[hH]/.test(tokens);
  const out = parts
    .map((part, i) => {
      if (i % 2 === 1) return part;
      const fixed = part.replace(/y/g, 'Y').replace(/d/g, 'D').replace(/h/g, 'H');
      return minuteMeansMonth ? fixed.replace(/mm/g, 'MM') : fixed;
    })
    .join('');
  if (out === format) return undefined;
  try {
    compileTimestampFormat(out);
    return out;
  } catch {
    return undefined;
  }
}
