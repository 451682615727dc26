/**
 * Cross-field rules that a JSON Schema cannot express: references between files exist, names are
 * unique, regexes compile in a linear-time engine, time zones and cron expressions are real,
 * templates use known variables, SQL fragments are one statement, endpoints are safe.
 * Pure: works on the normalized model and reports pointers; the loader turns them into locations.
 */
import { Cron } from 'croner';
import { RE2JS } from 're2js';
import { compileTimestampFormat, isValidTimeZone, TimestampFormatError } from '../time/timestamp-format.js';
import { checkSqlFragment } from './count-sql-statements.js';
import type { Pipeline, Project } from './model.js';
import { suggest } from './suggest.js';
import { checkConnection } from './check-connection-rules.js';
import { checkFilenameTemplate } from './check-filename-template.js';
import { checkNotifyRules } from './check-notify-rules.js';
import type { RuleIssue } from './rule-issue.js';

export type { RuleIssue } from './rule-issue.js';

export function checkConfigRules(input: {
  project: Project | undefined;
  pipelines: readonly Pipeline[];
}): RuleIssue[] {
  const issues: RuleIssue[] = [];
  const { project, pipelines } = input;
  if (project) checkProject(project, issues);

  const seen = new Map<string, Pipeline>();
  for (const pipeline of pipelines) {
    const at = (path: string, target?: 'key' | 'value') => ({
      file: pipeline.origin.file,
      pointer: pipeline.origin.pointer + path,
      ...(target ? { target } : {}),
    });
    const first = seen.get(pipeline.name);
    if (first) {
      issues.push({
        code: 'CONFIG_DUPLICATE_PIPELINE',
        severity: 'error',
        message: `Pipeline name "${pipeline.name}" is already used in ${first.origin.file}.`,
        hint: 'Pipeline names identify state and locks; give each pipeline its own name.',
        ...at('/name'),
      });
    } else {
      seen.set(pipeline.name, pipeline);
    }
    checkPipeline(pipeline, project, issues, at);
  }
  issues.push(...checkNotifyRules(project, pipelines));
  return issues;
}

function checkProject(project: Project, issues: RuleIssue[]): void {
  for (const connection of Object.values(project.connections)) checkConnection(connection, issues);
  const at = (pointer: string, target?: 'key' | 'value') => ({
    file: project.file,
    pointer,
    ...(target ? { target } : {}),
  });
  if (!isValidTimeZone(project.defaults.timezone)) {
    issues.push(badTimeZone(project.defaults.timezone, at('/defaults/timezone')));
  }
  for (const segment of Object.values(project.segments)) {
    if (!project.datasets[segment.dataset]) {
      issues.push(
        unknownRef(
          'dataset',
          segment.dataset,
          Object.keys(project.datasets),
          at(`${segment.origin.pointer}/dataset`),
        ),
      );
    }
    checkSql(segment.where, issues, at(`${segment.origin.pointer}/where`));
  }
  if (project.state.kind === 's3' && !project.connections[project.state.connection]) {
    issues.push(
      unknownRef(
        'connection',
        project.state.connection,
        Object.keys(project.connections),
        at('/state/connection'),
      ),
    );
  }
}

function checkPipeline(
  pipeline: Pipeline,
  project: Project | undefined,
  issues: RuleIssue[],
  at: (path: string, target?: 'key' | 'value') => { file: string; pointer: string; target?: 'key' | 'value' },
): void {
  const { source, sink } = pipeline;
  const connections = project ? Object.keys(project.connections) : undefined;
  const datasets = project ? Object.keys(project.datasets) : undefined;
  const checkConnectionRef = (name: string, path: string) => {
    if (connections && !connections.includes(name))
      issues.push(unknownRef('connection', name, connections, at(path)));
  };
  const checkDatasetRef = (name: string, path: string) => {
    if (datasets && !datasets.includes(name)) issues.push(unknownRef('dataset', name, datasets, at(path)));
  };

  if (source.kind === 's3') {
    checkConnectionRef(source.connection, '/source/connection');
    let hasTimestampGroup = false;
    if (source.match !== undefined) {
      try {
        const compiled = RE2JS.compile(source.match);
        const groups = Object.keys(compiled.namedGroups());
        hasTimestampGroup = groups.includes('timestamp');
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
        hasTimestampGroup = true; // already reported; do not pile on
      }
    }
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
    } else if (
      hasTimestampGroup &&
      source.match !== undefined &&
      !issues.some((i) => i.code === 'CONFIG_BAD_REGEX' && i.pointer.endsWith('/source/match'))
    ) {
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
  } else {
    source.datasets.forEach((name, i) => checkDatasetRef(name, source.datasetPaths[i] ?? '/source'));
    if (source.segment !== undefined && project && !project.segments[source.segment]) {
      issues.push(
        unknownRef('segment', source.segment, Object.keys(project.segments), at('/source/segment')),
      );
    }
    if (source.where !== undefined) checkSql(source.where, issues, at('/source/where'));
  }

  const mapping = pipeline.mapping;
  if (mapping) {
    for (const [column, expression] of Object.entries(mapping.compute)) {
      checkSql(expression, issues, at(`/mapping/compute/${escapePointer(column)}`));
    }
    for (const [column, relation] of Object.entries(mapping.relations)) {
      checkDatasetRef(relation.dataset, `/mapping/relations/${escapePointer(column)}/dataset`);
    }
  }

  if (sink.kind === 's3') {
    checkConnectionRef(sink.connection, '/sink/connection');
    checkTimestampFormat(sink.timestampFormat, issues, at('/sink/timestamp_format'));
    if (!isValidTimeZone(sink.timezone)) issues.push(badTimeZone(sink.timezone, at('/sink/timezone')));
    checkFilenameTemplate(sink.filename, issues, at('/sink/filename'), sink.format.kind === 'multi-csv');
    if (sink.segmentsField !== undefined && source.kind !== 'dataset') {
      issues.push({
        code: 'CONFIG_CONFLICT',
        severity: 'error',
        message:
          'sink.segments_field lists the segments a dataset row belongs to, so it needs a dataset source.',
        hint: 'Remove segments_field, or export from a dataset (source.kind: dataset).',
        ...at('/sink/segments_field', 'key'),
      });
    }
  } else {
    checkDatasetRef(sink.dataset, '/sink/dataset');
    const target = project?.datasets[sink.dataset];
    if (target?.kind === 'events' && sink.mode !== 'append' && sink.mode !== 'insert') {
      issues.push({
        code: 'CONFIG_CONFLICT',
        severity: 'error',
        message: `Dataset "${sink.dataset}" holds events, which are never updated or deleted; mode: ${sink.mode} would rewrite them.`,
        hint: 'Use mode: append (re-sent events with a known key are skipped), or declare the dataset kind: entity.',
        ...at('/sink/mode'),
      });
    }
    if (sink.mode === 'mirror' && pipeline.diff) {
      issues.push({
        code: 'CONFIG_CONFLICT',
        severity: 'error',
        message:
          'mode: mirror deletes every key absent from the run, but diff passes on only changed rows: unchanged keys would be deleted.',
        hint: 'Remove diff from this pipeline (the dataset merge already tells unchanged rows apart), or use mode: upsert.',
        ...at('/sink/mode'),
      });
    }
  }
  if (source.kind === 'dataset' && source.segment !== undefined && project) {
    const segment = project.segments[source.segment];
    const outside = segment ? source.datasets.filter((d) => d !== segment.dataset) : [];
    if (segment && outside.length) {
      issues.push({
        code: 'CONFIG_CONFLICT',
        severity: 'error',
        message: `Segment "${source.segment}" is defined on dataset "${segment.dataset}", but the source also reads ${outside.map((d) => `"${d}"`).join(', ')}.`,
        hint: 'Read only the segment (drop dataset/datasets), or filter with source.where instead.',
        ...at('/source/segment'),
      });
    }
  }
  if (project && pipeline.mapping) {
    for (const [column, relation] of Object.entries(pipeline.mapping.relations)) {
      const target = project.datasets[relation.dataset];
      if (target && target.key.length !== 1) {
        issues.push({
          code: 'CONFIG_RELATION_KEY',
          severity: 'error',
          message: `mapping.relations.${column} points at dataset "${relation.dataset}", whose key has ${target.key.length} columns; a relation needs a one-column key.`,
          hint: 'Relate to a dataset keyed by one column (an external id).',
          ...at(`/mapping/relations/${escapePointer(column)}/dataset`),
        });
      }
    }
  }

  const schedule = pipeline.schedule;
  if (schedule) {
    if (!isValidTimeZone(schedule.timezone))
      issues.push(badTimeZone(schedule.timezone, at('/schedule/timezone')));
    else if (schedule.kind === 'cron') {
      try {
        new Cron(schedule.cron, { timezone: schedule.timezone, paused: true });
      } catch (error) {
        issues.push({
          code: 'CONFIG_BAD_CRON',
          severity: 'error',
          message: `schedule.cron "${schedule.cron}" is not a valid cron expression: ${error instanceof Error ? error.message.replace(/^CronPattern: /, '') : String(error)}.`,
          hint: 'Use five fields: minute hour day-of-month month day-of-week, e.g. "0 6 * * 1-5".',
          ...at(schedule.pointer),
        });
      }
    }
  }
}

function checkTimestampFormat(
  format: string,
  issues: RuleIssue[],
  where: { file: string; pointer: string },
): void {
  try {
    compileTimestampFormat(format);
  } catch (error) {
    if (!(error instanceof TimestampFormatError)) throw error;
    const guess = suggestTimestampFormat(format);
    issues.push({
      code: 'CONFIG_BAD_TIMESTAMP_FORMAT',
      severity: 'error',
      message: `Timestamp format "${format}": ${error.message}`,
      hint: `${guess !== undefined ? `Did you mean "${guess}"? ` : ''}MM is the month and mm the minute; see docs/seed-options.md for the token table.`,
      ...where,
    });
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

function checkSql(sql: string, issues: RuleIssue[], where: { file: string; pointer: string }): void {
  const issue = checkSqlFragment(sql);
  if (!issue) return;
  issues.push(
    issue.kind === 'multiple-statements'
      ? {
          code: 'CONFIG_SQL_MULTIPLE_STATEMENTS',
          severity: 'error',
          message: 'This SQL fragment contains ";": it must be a single expression or predicate.',
          hint: 'Remove the semicolon; ferry splices the fragment into its own statement.',
          ...where,
        }
      : {
          code: 'CONFIG_SQL_UNTERMINATED',
          severity: 'error',
          message: 'This SQL fragment has an unterminated string, quoted identifier or comment.',
          ...where,
        },
  );
}

let timeZoneNames: readonly string[] | undefined;

function badTimeZone(zone: string, where: { file: string; pointer: string }): RuleIssue {
  timeZoneNames ??= ['UTC', ...Intl.supportedValuesOf('timeZone')];
  const guess = suggest(zone, timeZoneNames);
  return {
    code: 'CONFIG_BAD_TIMEZONE',
    severity: 'error',
    message: `"${zone}" is not an IANA time zone.`,
    hint: guess ? `Did you mean "${guess}"?` : 'Use a name such as UTC, Europe/Berlin or America/New_York.',
    ...where,
  };
}

function unknownRef(
  kind: string,
  name: string,
  known: readonly string[],
  where: { file: string; pointer: string },
): RuleIssue {
  const guess = suggest(name, known);
  return {
    code: `CONFIG_UNKNOWN_${kind.toUpperCase()}`,
    severity: 'error',
    message: `Unknown ${kind} "${name}".`,
    hint: guess
      ? `Did you mean "${guess}"?`
      : known.length
        ? `Defined ${kind}s: ${known.join(', ')}.`
        : `Define it under ${kind}s: in ferry.yaml.`,
    ...where,
  };
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
