/**
 * Which source objects a run takes, and why the others are skipped. Pure: a listing and the
 * pipeline's state in, a selection out. Objects are recognised as processed by key + ETag + size,
 * never by LastModified (a multipart object's LastModified is its upload's start).
 */
import { RE2JS } from 're2js';
import type { S3Source } from '../config/model.js';
import { DEFAULT_TIMEZONE } from '../config/normalize-project.js';
import { formatDuration } from '../config/parse-duration.js';
import { FerryError } from '../errors/ferry-error.js';
import type { PipelineState, ProcessedObject } from '../state/pipeline-state.js';
import { quarantineCheck } from './quarantine-check.js';
import { compileTimestampParser } from '../time/timestamp-format.js';

export interface ListedObject {
  key: string;
  size: number;
  etag: string;
  lastModified: Date;
}

export interface Candidate extends ListedObject {
  /** The key after the source prefix (what `match` is applied to). */
  name: string;
  timestamp?: Date;
}

export type SkipReason =
  | 'already-processed'
  | 'not-newest'
  | 'over-max-files'
  | 'before-cursor'
  | 'changed-skipped'
  | 'bad-timestamp'
  | 'quarantined'
  | 'after-quarantined';

export interface SkippedFile {
  key: string;
  reason: SkipReason;
  detail: string;
}

export interface SelectionWarning {
  code:
    'SEQUENCE_GAP' | 'SEQUENCE_OVERDUE' | 'SEQUENCE_LATE_FILE' | 'SOURCE_FILE_CHANGED' | 'SOURCE_NO_FILES';
  message: string;
  key?: string;
}

export interface FileSelection {
  /** Objects under the prefix (before matching). */
  listed: number;
  matched: number;
  selected: Candidate[];
  /** Selected objects that were processed before with other content (same key, other ETag/size). */
  changed: string[];
  skipped: SkippedFile[];
  warnings: SelectionWarning[];
}

export function isSameObject(object: ListedObject, processed: ProcessedObject): boolean {
  return processed.key === object.key && processed.etag === object.etag && processed.size === object.size;
}

export function selectFiles(
  source: S3Source,
  listing: readonly ListedObject[],
  state: PipelineState,
  /**
   * Key timestamps are read in `source.timezone` (defaults.timezone resolved at normalization).
   * `allow`: the run's `--allow` guards; a file quarantined by those guards only is taken again.
   */
  options: { now: Date; allow?: ReadonlySet<string> },
): FileSelection {
  const matcher = source.match !== undefined ? RE2JS.compile(source.match) : undefined;
  const parser =
    source.timestampFormat !== undefined ? compileTimestampParser(source.timestampFormat) : undefined;
  const zone = source.timezone ?? DEFAULT_TIMEZONE;
  const skipped: SkippedFile[] = [];
  const warnings: SelectionWarning[] = [];
  const candidates: Candidate[] = [];
  for (const object of listing) {
    if (!object.key.startsWith(source.prefix)) continue;
    const name = object.key.slice(source.prefix.length);
    if (name === '' || name.endsWith('/')) continue;
    if (!matcher) {
      candidates.push({ ...object, name });
      continue;
    }
    const m = matcher.matcher(name);
    if (!m.matches()) continue;
    if (parser === undefined) {
      candidates.push({ ...object, name });
      continue;
    }
    const raw = m.group('timestamp');
    const timestamp = raw === null ? undefined : parser.parse(raw, zone);
    if (!timestamp) {
      skipped.push({
        key: object.key,
        reason: 'bad-timestamp',
        detail: `"${raw ?? ''}" does not read as ${source.timestampFormat ?? ''}`,
      });
      continue;
    }
    candidates.push({ ...object, name, timestamp });
  }

  const byOrder = (a: Candidate, b: Candidate): number => {
    if (
      source.order === 'timestamp' &&
      a.timestamp &&
      b.timestamp &&
      a.timestamp.getTime() !== b.timestamp.getTime()
    ) {
      return a.timestamp.getTime() - b.timestamp.getTime();
    }
    if (source.order === 'last-modified' && a.lastModified.getTime() !== b.lastModified.getTime()) {
      return a.lastModified.getTime() - b.lastModified.getTime();
    }
    return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
  };
  // A sequence is always walked in timestamp order, whatever `order` says.
  const sorted = [...candidates].sort(source.pick === 'sequence' ? compareTimestamp : byOrder);

  const processedByKey = new Map(state.processed.map((p) => [p.key, p]));
  const isQuarantined = quarantineCheck(state, options.allow);
  const changed: string[] = [];
  const fresh: Candidate[] = [];
  let blockedBy: string | undefined;
  for (const candidate of sorted) {
    const previous = processedByKey.get(candidate.key);
    const quarantined = !(previous && isSameObject(candidate, previous)) && isQuarantined(candidate);
    if (quarantined || blockedBy !== undefined) {
      // A sequence is taken in order: nothing after a quarantined file goes before it is settled.
      skipped.push(
        quarantined
          ? {
              key: candidate.key,
              reason: 'quarantined',
              detail: `${quarantined.code}: ${quarantined.message}`,
            }
          : {
              key: candidate.key,
              reason: 'after-quarantined',
              detail: `the sequence waits for ${blockedBy ?? ''}`,
            },
      );
      if (quarantined && source.pick === 'sequence') blockedBy ??= candidate.key;
      continue;
    }
    if (previous && isSameObject(candidate, previous)) {
      skipped.push({
        key: candidate.key,
        reason: 'already-processed',
        detail: `processed by run ${previous.runId}`,
      });
      continue;
    }
    if (previous) {
      warnings.push({
        code: 'SOURCE_FILE_CHANGED',
        key: candidate.key,
        message: `${candidate.key} changed since run ${previous.runId} (size ${previous.size} → ${candidate.size}); on_changed: ${source.onChanged}.`,
      });
      if (source.onChanged === 'skip') {
        skipped.push({
          key: candidate.key,
          reason: 'changed-skipped',
          detail: 'content changed; on_changed: skip',
        });
        continue;
      }
      changed.push(candidate.key);
    }
    fresh.push(candidate);
  }

  let selected: Candidate[] = fresh;
  if (source.pick === 'newest') {
    const newest = sorted[sorted.length - 1];
    selected = newest && fresh.includes(newest) ? [newest] : [];
    for (const candidate of fresh) {
      if (candidate !== newest)
        skipped.push({
          key: candidate.key,
          reason: 'not-newest',
          detail: `newest by ${source.order}: ${newest?.key ?? ''}`,
        });
    }
  } else if (source.pick === 'sequence') {
    selected = selectSequence(source, fresh, sorted, state, options.now, skipped, warnings);
  }

  if (selected.length > source.maxFiles) {
    for (const candidate of selected.slice(source.maxFiles)) {
      skipped.push({
        key: candidate.key,
        reason: 'over-max-files',
        detail: `max_files is ${source.maxFiles}; taken by a later run`,
      });
    }
    selected = selected.slice(0, source.maxFiles);
  }
  // Only files this run takes count as changed (a replaced file that is not the newest is not loaded).
  const changedSelected = changed.filter((key) => selected.some((c) => c.key === key));
  if (source.onChanged === 'fail' && changedSelected.length > 0) {
    const [first] = changedSelected;
    throw new FerryError(
      'SOURCE_FILE_CHANGED',
      `${changedSelected.length} processed file${changedSelected.length === 1 ? ' was' : 's were'} replaced with new content under the same key: s3://${source.bucket}/${first ?? ''}${changedSelected.length > 1 ? ' …' : ''} (on_changed: fail).`,
      {
        context: { bucket: source.bucket, key: first ?? '' },
        hint: 'Check with the sender why the file changed; set on_changed: reprocess to load it again, or skip to ignore it.',
      },
    );
  }
  if (candidates.length === 0) {
    warnings.push({
      code: 'SOURCE_NO_FILES',
      message: `No object under s3://${source.bucket}/${source.prefix} matches ${source.match ?? '(any name)'}.`,
    });
  }
  return {
    listed: listing.length,
    matched: candidates.length,
    selected,
    changed: changedSelected,
    skipped,
    warnings,
  };
}

function compareTimestamp(a: Candidate, b: Candidate): number {
  const d = (a.timestamp?.getTime() ?? 0) - (b.timestamp?.getTime() ?? 0);
  return d !== 0 ? d : a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

function selectSequence(
  source: S3Source,
  fresh: Candidate[],
  sorted: Candidate[],
  state: PipelineState,
  now: Date,
  skipped: SkippedFile[],
  warnings: SelectionWarning[],
): Candidate[] {
  const cursor = state.sequenceCursor ? new Date(state.sequenceCursor.timestamp) : undefined;
  const selected: Candidate[] = [];
  for (const candidate of fresh) {
    if (cursor && candidate.timestamp && candidate.timestamp.getTime() <= cursor.getTime()) {
      skipped.push({
        key: candidate.key,
        reason: 'before-cursor',
        detail: `its timestamp is not after the sequence cursor ${cursor.toISOString()} (${state.sequenceCursor?.key ?? ''})`,
      });
      warnings.push({
        code: 'SEQUENCE_LATE_FILE',
        key: candidate.key,
        message: `${candidate.key} arrived after the sequence moved past it (cursor ${cursor.toISOString()}); it is not processed.`,
      });
      continue;
    }
    selected.push(candidate);
  }
  const expected = source.sequence?.expectEveryMs;
  if (expected) {
    const limit = expected + (source.sequence?.graceMs ?? 0);
    let previous = cursor;
    for (const candidate of selected) {
      if (previous && candidate.timestamp && candidate.timestamp.getTime() - previous.getTime() > limit) {
        warnings.push({
          code: 'SEQUENCE_GAP',
          key: candidate.key,
          message: `Gap in the sequence before ${candidate.key}: ${describeElapsed(candidate.timestamp.getTime() - previous.getTime())} after the previous file; expected every ${formatDuration(expected)}.`,
        });
      }
      if (candidate.timestamp) previous = candidate.timestamp;
    }
    const last = sorted[sorted.length - 1]?.timestamp ?? cursor;
    if (last && now.getTime() - last.getTime() > limit) {
      warnings.push({
        code: 'SEQUENCE_OVERDUE',
        message: `The next file is overdue: the newest is from ${last.toISOString()}, ${describeElapsed(now.getTime() - last.getTime())} ago; expected every ${formatDuration(expected)}.`,
      });
    }
  }
  return selected;
}

const ELAPSED_UNITS: ReadonlyArray<[string, number]> = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
];

/** An elapsed time in words, its two largest units rounded down: 1140843000 → "13 days 4 hours". */
function describeElapsed(ms: number): string {
  let rest = Math.max(0, Math.floor(ms / 1000) * 1000);
  const words: string[] = [];
  for (const [unit, size] of ELAPSED_UNITS) {
    if (words.length === 2) break;
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) words.push(`${n} ${unit}${n === 1 ? '' : 's'}`);
    else if (words.length) break; // "2 days", not "2 days 0 hours 5 minutes"
  }
  return words.length ? words.join(' ') : 'less than a second';
}
