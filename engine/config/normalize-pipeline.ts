/**
 * PipelineFileSpec (schema-valid YAML value) → Pipeline[]: defaults from the schema and from
 * ferry.yaml's `defaults`, one form for every shorthand (format strings, `diff: true`, the seed's
 * `{TIMESTAMP}`, daily/weekly/monthly schedules as cron), durations in milliseconds.
 */
import { parseByteSize } from './parse-byte-size.js';
import { normalizeFilenameTemplate } from './filename-template.js';
import type {
  Check,
  Diff,
  Mapping,
  MaxRejects,
  Pipeline,
  Project,
  Schedule,
  Sink,
  SinkFormat,
  Source,
  SourceFormat,
} from './model.js';
import {
  DEFAULT_CSV_DIALECT,
  DEFAULT_TIMEZONE,
  normalizeCsvDialect,
  normalizeDelimiter,
} from './normalize-project.js';
import { normalizeChecks, normalizeSchemaPolicy } from './normalize-checks.js';
import { normalizePgpDecrypt, normalizePgpEncrypt } from './normalize-pgp.js';
import { normalizeExportNotify, normalizeNotifyRoutes } from './normalize-notify.js';
import { normalizeGuards } from './normalize-guards.js';
import { parseDuration } from './parse-duration.js';
import type {
  Diff as DiffSpec,
  Mapping as MappingSpec,
  Pipeline as PipelineSpec,
  PipelineFileSpec,
  Schedule as ScheduleSpec,
  Sink as SinkSpec,
  SinkFormat as SinkFormatSpec,
  Source as SourceSpec,
} from './pipeline-spec.gen.js';

export const DEFAULT_FILENAME = 'ferry-{{pipeline}}-{{timestamp}}';
export const DEFAULT_FILENAME_TIMESTAMP_FORMAT = 'YYYYMMDDHHmmss';

interface NormalizeContext {
  file: string;
  /** Absolute path of the file. */
  path?: string;
  project: Project | undefined;
}

export function normalizePipelineFile(value: unknown, context: NormalizeContext): Pipeline[] {
  const spec = value as PipelineFileSpec;
  if ('pipelines' in spec) {
    return spec.pipelines.map((p, i) => normalizePipeline(p, { ...context, pointer: `/pipelines/${i}` }));
  }
  return [normalizePipeline(spec, { ...context, pointer: '' })];
}

export function normalizePipeline(
  spec: PipelineSpec,
  context: NormalizeContext & { pointer: string },
): Pipeline {
  // The default zone is resolved here, once, into every field that reads or writes wall-clock time,
  // so the normalized pipeline (its config diff and fingerprint) changes when defaults.timezone does.
  const timezone = context.project?.defaults.timezone ?? DEFAULT_TIMEZONE;
  const mapping = spec.mapping ? normalizeMapping(spec.mapping, timezone) : undefined;
  const diff = normalizeDiff(spec.diff);
  const schedule = spec.schedule ? normalizeSchedule(spec.schedule, timezone) : undefined;
  const checks = pipelineChecks(spec, context);
  const schema = normalizeSchemaPolicy(spec.schema, context.project?.defaults.schema);
  const guards = {
    ...context.project?.defaults.guards,
    ...(spec.guards ? normalizeGuards(spec.guards) : {}),
  };
  return {
    name: spec.name,
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    enabled: spec.enabled ?? true,
    source: normalizeSource(spec.source, timezone, context.project),
    ...(mapping ? { mapping } : {}),
    ...(diff ? { diff } : {}),
    sink: normalizeSink(spec.sink, timezone, context.project),
    ...(schedule ? { schedule } : {}),
    ...(Object.keys(guards).length ? { guards } : {}),
    ...(spec.notify ? { notify: normalizeNotifyRoutes(spec.notify) } : {}),
    ...(checks.checks.length ? { checks: checks.checks } : {}),
    ...(schema ? { schema } : {}),
    origin: {
      file: context.file,
      pointer: context.pointer,
      ...(context.path !== undefined ? { path: context.path } : {}),
      ...(checks.checks.length ? { checks: checks.origins } : {}),
    },
  };
}

/** The pipeline's own checks, then those of the dataset it writes (ferry.yaml), each with where it is written. */
function pipelineChecks(
  spec: PipelineSpec,
  context: NormalizeContext & { pointer: string },
): { checks: Check[]; origins: Array<{ file: string; pointer: string }> } {
  const own = normalizeChecks(spec.checks);
  const origins = own.map((_, i) => ({ file: context.file, pointer: `${context.pointer}/checks/${i}` }));
  const dataset = spec.sink.kind === 'dataset' ? context.project?.datasets[spec.sink.dataset] : undefined;
  const inherited = dataset?.checks ?? [];
  const names = new Set(own.map((c) => c.name));
  return {
    checks: [
      ...own,
      ...inherited.map((c) => (names.has(c.name) ? { ...c, name: `${dataset?.name}.${c.name}` } : c)),
    ],
    origins: [
      ...origins,
      ...inherited.map((_, i) => ({
        file: dataset?.origin.file ?? context.file,
        pointer: `${dataset?.origin.pointer ?? ''}/checks/${i}`,
      })),
    ],
  };
}

export function parseMaxRejects(value: number | string | undefined): MaxRejects {
  if (value === undefined) return { kind: 'count', value: 0 };
  if (typeof value === 'number') return { kind: 'count', value };
  return { kind: 'percent', value: Number(value.replace('%', '')) };
}

function normalizeSource(spec: SourceSpec, timezone: string, project: Project | undefined): Source {
  if (spec.kind === 'dataset') {
    const segment = spec.segment !== undefined ? project?.segments[spec.segment] : undefined;
    const named =
      spec.datasets ??
      (spec.dataset !== undefined ? [spec.dataset] : segment ? [segment.dataset] : undefined);
    const datasets =
      named ??
      Object.values(project?.datasets ?? {})
        .filter((d) => d.kind === 'events')
        .map((d) => d.name);
    const datasetPaths = spec.datasets
      ? spec.datasets.map((_, i) => `/source/datasets/${i}`)
      : spec.dataset !== undefined
        ? ['/source/dataset']
        : datasets.map(() => (spec.segment !== undefined ? '/source/segment' : '/source'));
    return {
      kind: 'dataset',
      datasets: [...datasets],
      datasetPaths,
      ...(spec.where !== undefined ? { where: spec.where } : {}),
      ...(spec.segment !== undefined ? { segment: spec.segment } : {}),
      sinceLastRun: spec.since_last_run ?? false,
      ...(spec.limit !== undefined ? { limit: spec.limit } : {}),
      ...(spec.fields ? { fields: [...spec.fields] } : {}),
    };
  }
  let format: SourceFormat;
  const f = spec.format;
  if (f.kind === 'csv') {
    const base = project?.defaults.csv ?? DEFAULT_CSV_DIALECT;
    const policy = project?.defaults.csvPolicy ?? {};
    format = {
      kind: 'csv',
      ...normalizeCsvDialect(f, base),
      emptyFile: f.empty_file ?? policy.emptyFile ?? 'fail',
      maxRejects: parseMaxRejects(f.max_rejects ?? policy.maxRejects),
      ...(f.columns ? { columns: [...f.columns] } : {}),
      ...maxLineBytes(f.max_line_size),
    };
  } else if (f.kind === 'json') {
    format = {
      kind: 'json',
      layout: f.layout ?? 'ndjson',
      emptyFile: f.empty_file ?? 'fail',
      maxRejects: parseMaxRejects(f.max_rejects),
    };
  } else {
    format = { kind: 'parquet' };
  }
  return {
    kind: 's3',
    connection: spec.connection,
    bucket: spec.bucket,
    prefix: spec.prefix ?? '',
    ...(spec.match !== undefined ? { match: spec.match } : {}),
    ...(spec.timestamp_format !== undefined ? { timestampFormat: spec.timestamp_format, timezone } : {}),
    pick: spec.pick ?? 'all-new',
    ...(spec.sequence
      ? {
          sequence: {
            expectEveryMs: parseDuration(spec.sequence.expect_every) ?? 0,
            graceMs: parseDuration(spec.sequence.grace ?? '1h') ?? 0,
          },
        }
      : {}),
    maxFiles: spec.max_files ?? 1000,
    order: spec.order ?? defaultOrder(spec),
    onChanged: spec.on_changed ?? 'reprocess',
    format,
    compression: spec.compression ?? 'auto',
    ...(spec.decrypt ? { decrypt: normalizePgpDecrypt(spec.decrypt) } : {}),
  };
}

function normalizeMapping(spec: MappingSpec, timezone: string): Mapping {
  const compact = <T>(record: Record<string, T | undefined> | undefined): Record<string, T> => {
    const out: Record<string, T> = {};
    for (const [k, v] of Object.entries(record ?? {})) if (v !== undefined) out[k] = v;
    return out;
  };
  const relations: Mapping['relations'] = {};
  for (const [column, relation] of Object.entries(compact(spec.relations))) {
    relations[column] = { dataset: relation.dataset, onMissing: relation.on_missing ?? 'count' };
  }
  return {
    ...(spec.fields ? { fields: [...spec.fields] } : {}),
    ...(spec.exclude ? { exclude: [...spec.exclude] } : {}),
    rename: compact(spec.rename),
    cast: compact(spec.cast),
    compute: compact(spec.compute),
    ...(spec.timestamp
      ? {
          timestamp: {
            column: spec.timestamp.column,
            ...(spec.timestamp.format !== undefined ? { format: spec.timestamp.format } : {}),
            timezone: spec.timestamp.timezone ?? timezone,
            ...(spec.timestamp.default !== undefined ? { default: spec.timestamp.default } : {}),
          },
        }
      : {}),
    ...(spec.rest ? { rest: { into: spec.rest.into } } : {}),
    ...(spec.key ? { key: [...spec.key] } : {}),
    relations,
    required: spec.required ? [...spec.required] : [],
  };
}

function normalizeDiff(spec: DiffSpec | undefined): Diff | undefined {
  if (spec === undefined || spec === false) return undefined;
  if (spec === true) return {};
  return {
    ...(spec.key ? { key: [...spec.key] } : {}),
    ...(spec.tombstones ? { tombstones: { column: spec.tombstones.column ?? '_deleted' } } : {}),
  };
}

function normalizeSinkFormat(spec: SinkFormatSpec): SinkFormat {
  const f = typeof spec === 'string' ? { kind: spec } : spec;
  switch (f.kind) {
    case 'csv':
      return {
        kind: 'csv',
        delimiter: normalizeDelimiter('delimiter' in f && f.delimiter !== undefined ? f.delimiter : ','),
        quote: 'quote' in f && f.quote !== undefined ? f.quote : '"',
        headers: 'headers' in f && f.headers !== undefined ? f.headers : true,
        listSeparator: 'list_separator' in f && f.list_separator !== undefined ? f.list_separator : '&',
      };
    case 'multi-csv':
      return {
        kind: 'multi-csv',
        delimiter: normalizeDelimiter('delimiter' in f && f.delimiter !== undefined ? f.delimiter : ','),
        headers: 'headers' in f && f.headers !== undefined ? f.headers : true,
        joinKey: 'join_key' in f && f.join_key !== undefined ? f.join_key : '_join_key',
      };
    case 'json':
    case 'ndjson':
    case 'parquet':
      return { kind: f.kind };
  }
}

function normalizeSink(spec: SinkSpec, timezone: string, project: Project | undefined): Sink {
  if (spec.kind === 'dataset') {
    return {
      kind: 'dataset',
      dataset: spec.dataset,
      // Events are only ever appended; entities are created and updated.
      mode: spec.mode ?? (project?.datasets[spec.dataset]?.kind === 'events' ? 'append' : 'upsert'),
      ...(spec.rejects
        ? {
            rejects: {
              connection: spec.rejects.connection,
              bucket: spec.rejects.bucket,
              directory: spec.rejects.directory ?? '',
            },
          }
        : {}),
    };
  }
  return {
    kind: 's3',
    connection: spec.connection,
    bucket: spec.bucket,
    directory: spec.directory ?? '',
    filename: normalizeFilenameTemplate(spec.filename ?? DEFAULT_FILENAME),
    timestampFormat: spec.timestamp_format ?? DEFAULT_FILENAME_TIMESTAMP_FORMAT,
    timezone: spec.timezone ?? timezone,
    format: normalizeSinkFormat(spec.format),
    ...(spec.fields ? { fields: [...spec.fields] } : {}),
    ...(spec.limit !== undefined ? { limit: spec.limit } : {}),
    compress: spec.compress ?? 'none',
    ...(spec.max_rows_per_file !== undefined ? { maxRowsPerFile: spec.max_rows_per_file } : {}),
    ...(spec.segments_field !== undefined ? { segmentsField: spec.segments_field } : {}),
    ...(spec.encrypt ? { encrypt: normalizePgpEncrypt(spec.encrypt) } : {}),
    ...(spec.notify ? { notify: normalizeExportNotify(spec.notify) } : {}),
    // Only when set: the default leaves existing configuration fingerprints as they were.
    ...(spec.always_write === true ? { alwaysWrite: true as const } : {}),
  };
}

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

function timeOfDay(at: string | undefined): { hour: number; minute: number } {
  const [h, m] = (at ?? '00:00').split(':');
  return { hour: Number(h), minute: Number(m) };
}

export function normalizeSchedule(spec: ScheduleSpec, defaultTimezone: string): Schedule {
  const timezone = spec.timezone ?? defaultTimezone;
  const common = { timezone, catchUp: spec.catch_up ?? true };
  const zone = ` (${timezone})`;
  if (spec.cron !== undefined) {
    return {
      kind: 'cron',
      cron: spec.cron,
      ...common,
      description: `cron "${spec.cron}"${zone}`,
      pointer: '/schedule/cron',
    };
  }
  if (spec.every !== undefined) {
    const everyMs = parseDuration(spec.every) ?? 0;
    const minutes = everyMs / 60_000;
    if (spec.anchor === 'completion') {
      const description = `every ${spec.every} after the previous run ends${zone}`;
      return {
        kind: 'every',
        everyMs,
        anchor: 'completion',
        ...common,
        description,
        pointer: '/schedule/every',
      };
    }
    const description = `every ${spec.every}${zone}`;
    // Intervals that divide an hour or a day are anchored to the clock in the zone (00:00, 06:00, …).
    if (minutes >= 1 && minutes < 60 && 60 % minutes === 0) {
      return {
        kind: 'cron',
        cron: `*/${minutes} * * * *`,
        ...common,
        description,
        pointer: '/schedule/every',
      };
    }
    const hours = minutes / 60;
    if (Number.isInteger(hours) && hours >= 1 && hours <= 24 && 24 % hours === 0) {
      return {
        kind: 'cron',
        cron: hours === 24 ? '0 0 * * *' : `0 */${hours} * * *`,
        ...common,
        description,
        pointer: '/schedule/every',
      };
    }
    return { kind: 'every', everyMs, anchor: 'clock', ...common, description, pointer: '/schedule/every' };
  }
  if (spec.hourly !== undefined) {
    const minute = spec.hourly.at_minute ?? 0;
    return {
      kind: 'cron',
      cron: `${minute} * * * *`,
      ...common,
      description: `hourly at :${String(minute).padStart(2, '0')}${zone}`,
      pointer: '/schedule/hourly',
    };
  }
  if (spec.daily !== undefined) {
    const { hour, minute } = timeOfDay(spec.daily.at);
    return {
      kind: 'cron',
      cron: `${minute} ${hour} * * *`,
      ...common,
      description: `daily at ${spec.daily.at ?? '00:00'}${zone}`,
      pointer: '/schedule/daily',
    };
  }
  if (spec.weekly !== undefined) {
    const { hour, minute } = timeOfDay(spec.weekly.at);
    return {
      kind: 'cron',
      cron: `${minute} ${hour} * * ${WEEKDAYS.indexOf(spec.weekly.on)}`,
      ...common,
      description: `weekly on ${spec.weekly.on} at ${spec.weekly.at ?? '00:00'}${zone}`,
      pointer: '/schedule/weekly',
    };
  }
  if (spec.monthly !== undefined) {
    const { hour, minute } = timeOfDay(spec.monthly.at);
    const day = spec.monthly.day === 'last' ? 'L' : String(spec.monthly.day);
    return {
      kind: 'cron',
      cron: `${minute} ${hour} ${day} * *`,
      ...common,
      description: `monthly on day ${String(spec.monthly.day)} at ${spec.monthly.at ?? '00:00'}${zone}`,
      pointer: '/schedule/monthly',
    };
  }
  // The schema guarantees one of the above.
  throw new Error('normalizeSchedule: schedule without a kind');
}

/**
 * Files are taken by the timestamp in their names when `match` captures one (and timestamp_format
 * reads it): key order puts acc_2026-1-9 after acc_2026-1-10, so pick: newest would take the older.
 * Otherwise alphabetically by key.
 */
function defaultOrder(spec: { match?: string; timestamp_format?: string }): 'key' | 'timestamp' {
  const capturesTimestamp = spec.match !== undefined && /\(\?P?<timestamp>/.test(spec.match);
  return capturesTimestamp && spec.timestamp_format !== undefined ? 'timestamp' : 'key';
}

/** The schema's pattern guarantees a size parseByteSize reads. */
function maxLineBytes(spec: string | undefined): { maxLineBytes?: number } {
  const bytes = spec === undefined ? undefined : parseByteSize(spec);
  return bytes === undefined ? {} : { maxLineBytes: bytes };
}
