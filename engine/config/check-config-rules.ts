/**
 * Cross-field rules that a JSON Schema cannot express: references between files exist, names are
 * unique, regexes compile in a linear-time engine, time zones and cron expressions are real,
 * templates use known variables, SQL fragments are one statement, endpoints are safe.
 * Pure: works on the normalized model and reports pointers; the loader turns them into locations.
 */
import { checkChecksRules } from './check-checks-rules.js';
import { Cron } from 'croner';
import { isValidTimeZone } from '../time/timestamp-format.js';
import { checkConnection } from './check-connection-rules.js';
import { checkFilenameTemplate } from './check-filename-template.js';
import { checkS3Source, checkTimestampFormat, type At } from './check-source-rules.js';
import { checkSqlFragment } from './count-sql-statements.js';
import type { DatasetSource, Mapping, Pipeline, Project, Schedule } from './model.js';
import { checkNotifyRules } from './check-notify-rules.js';
import type { RuleIssue } from './rule-issue.js';
import { checkPgpRules } from './check-pgp-rules.js';
import { joinPointer } from './locate-pointer.js';
import { checkMappingRules } from './check-mapping-rules.js';
import { badTimeZone } from './bad-time-zone.js';
import { suggest } from './suggest.js';

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
    const at: At = (path, target) => ({
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
  // A dataset's checks are inherited by every pipeline that writes it: report each problem once.
  const seenChecks = new Set<string>();
  for (const issue of pipelines.flatMap(checkChecksRules)) {
    const key = `${issue.code} ${issue.file}${issue.pointer} ${issue.message}`;
    if (!seenChecks.has(key)) issues.push(issue);
    seenChecks.add(key);
  }
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
    issues.push(badTimeZone(project.defaults.timezone, 'defaults.timezone', at('/defaults/timezone')));
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

/** Checks that the names a pipeline refers to exist in ferry.yaml (skipped without a project). */
function createRefChecks(project: Project | undefined, issues: RuleIssue[], at: At) {
  const connections = project ? Object.keys(project.connections) : undefined;
  const datasets = project ? Object.keys(project.datasets) : undefined;
  return {
    connection(name: string, path: string): void {
      if (connections && !connections.includes(name))
        issues.push(unknownRef('connection', name, connections, at(path)));
    },
    dataset(name: string, path: string): void {
      if (datasets && !datasets.includes(name)) issues.push(unknownRef('dataset', name, datasets, at(path)));
    },
  };
}

type RefChecks = ReturnType<typeof createRefChecks>;

function checkPipeline(pipeline: Pipeline, project: Project | undefined, issues: RuleIssue[], at: At): void {
  const refs = createRefChecks(project, issues, at);
  const { source } = pipeline;
  if (source.kind === 's3') {
    refs.connection(source.connection, '/source/connection');
    checkS3Source(source, issues, at);
  } else {
    checkDatasetSource(source, project, issues, at, refs);
  }
  if (pipeline.mapping) checkMapping(pipeline.mapping, project, issues, at, refs);
  checkSink(pipeline, project, issues, at, refs);
  if (pipeline.schedule) checkSchedule(pipeline.schedule, project, issues, at);
}

function checkDatasetSource(
  source: DatasetSource,
  project: Project | undefined,
  issues: RuleIssue[],
  at: At,
  refs: RefChecks,
): void {
  source.datasets.forEach((name, i) => refs.dataset(name, source.datasetPaths[i] ?? '/source'));
  if (source.segment !== undefined && project && !project.segments[source.segment]) {
    issues.push(unknownRef('segment', source.segment, Object.keys(project.segments), at('/source/segment')));
  }
  if (source.where !== undefined) checkSql(source.where, issues, at('/source/where'));
  const segment = source.segment !== undefined ? project?.segments[source.segment] : undefined;
  const outside = segment ? source.datasets.filter((d) => d !== segment.dataset) : [];
  if (segment && outside.length) {
    issues.push({
      code: 'CONFIG_CONFLICT',
      severity: 'error',
      message: `Segment "${segment.name}" is defined on dataset "${segment.dataset}", but the source also reads ${outside.map((d) => `"${d}"`).join(', ')}.`,
      hint: 'Read only the segment (drop dataset/datasets), or filter with source.where instead.',
      ...at('/source/segment'),
    });
  }
}

function checkMapping(
  mapping: Mapping,
  project: Project | undefined,
  issues: RuleIssue[],
  at: At,
  refs: RefChecks,
): void {
  for (const issue of checkMappingRules(mapping)) {
    const { path, target, ...rest } = issue;
    issues.push({ ...rest, severity: 'error', ...at(joinPointer(path), target) });
  }
  const zone = mapping.timestamp?.timezone;
  // An inherited defaults.timezone is reported once, in ferry.yaml, not again here.
  if (zone !== undefined && zone !== project?.defaults.timezone && !isValidTimeZone(zone)) {
    issues.push(badTimeZone(zone, 'mapping.timestamp.timezone', at('/mapping/timestamp/timezone')));
  }
  for (const [column, expression] of Object.entries(mapping.compute)) {
    checkSql(expression, issues, at(`/mapping/compute/${escapePointer(column)}`));
  }
  for (const [column, relation] of Object.entries(mapping.relations)) {
    const pointer = `/mapping/relations/${escapePointer(column)}/dataset`;
    refs.dataset(relation.dataset, pointer);
    const target = project?.datasets[relation.dataset];
    if (target && target.key.length !== 1) {
      issues.push({
        code: 'CONFIG_RELATION_KEY',
        severity: 'error',
        message: `mapping.relations.${column} points at dataset "${relation.dataset}", whose key has ${target.key.length} columns; a relation needs a one-column key.`,
        hint: 'Relate to a dataset keyed by one column (an external id).',
        ...at(pointer),
      });
    }
  }
}

function checkSink(
  pipeline: Pipeline,
  project: Project | undefined,
  issues: RuleIssue[],
  at: At,
  refs: RefChecks,
): void {
  const { sink } = pipeline;
  checkPgpRules(pipeline, project, issues, at);
  if (sink.kind === 's3') {
    refs.connection(sink.connection, '/sink/connection');
    checkTimestampFormat(sink.timestampFormat, issues, at('/sink/timestamp_format'));
    // An inherited defaults.timezone is reported once, in ferry.yaml, not again at every pipeline.
    if (sink.timezone !== project?.defaults.timezone && !isValidTimeZone(sink.timezone))
      issues.push(badTimeZone(sink.timezone, 'sink.timezone', at('/sink/timezone')));
    checkFilenameTemplate(sink.filename, issues, at('/sink/filename'), sink.format.kind === 'multi-csv');
    if (sink.segmentsField !== undefined && pipeline.source.kind !== 'dataset') {
      issues.push({
        code: 'CONFIG_CONFLICT',
        severity: 'error',
        message:
          'sink.segments_field lists the segments a dataset row belongs to, so it needs a dataset source.',
        hint: 'Remove segments_field, or export from a dataset (source.kind: dataset).',
        ...at('/sink/segments_field', 'key'),
      });
    }
    return;
  }
  refs.dataset(sink.dataset, '/sink/dataset');
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

function checkSchedule(schedule: Schedule, project: Project | undefined, issues: RuleIssue[], at: At): void {
  const zoneIsValid = isValidTimeZone(schedule.timezone);
  // An inherited defaults.timezone is reported once, in ferry.yaml.
  if (!zoneIsValid && schedule.timezone !== project?.defaults.timezone)
    issues.push(badTimeZone(schedule.timezone, 'schedule.timezone', at('/schedule/timezone')));
  if (schedule.kind !== 'cron') return;
  const problem = checkCronExpression(schedule.cron, zoneIsValid ? schedule.timezone : 'UTC');
  if (!problem) return;
  issues.push({
    code: 'CONFIG_BAD_CRON',
    severity: 'error',
    message: `schedule.cron "${schedule.cron}" ${problem}.`,
    hint: 'Use five fields: minute hour day-of-month month day-of-week, e.g. "0 6 * * 1-5".',
    ...at(schedule.pointer),
  });
}

/** Cron's @ shorthands, which croner reads as five-field expressions. */
const CRON_NICKNAMES = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@hourly']);

/**
 * What is wrong with a cron expression, or undefined. Five fields only: croner also reads six
 * (seconds first: "*\/10 * * * * *" is every 10 s) and seven (a year), which the schema and
 * `render kubernetes` do not allow. An expression that matches no date (30 February) never fires.
 */
function checkCronExpression(expression: string, timezone: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (!CRON_NICKNAMES.has(expression.trim().toLowerCase()) && fields.length !== 5) {
    return `has ${fields.length} field${fields.length === 1 ? '' : 's'}; ferry reads five (no seconds, no year)`;
  }
  let cron: Cron;
  try {
    cron = new Cron(expression, { timezone, paused: true });
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^CronPattern: /, '') : String(error);
    return `is not a valid cron expression: ${reason}`;
  }
  // A five-field expression that fires at all does so within a few years of 2000 (29 February at worst).
  if (!cron.nextRun(new Date('2000-01-01T00:00:00Z'))) {
    return 'never fires: no date matches its day-of-month and month';
  }
  return undefined;
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
