/**
 * ProjectSpec (ferry.yaml as written, already schema-valid) → Project: defaults applied, one form.
 * The defaults here mirror the `default` keywords in schemas/ferry.schema.json (a test keeps them in step).
 */
import { resolve } from 'node:path';
import { joinPointer } from './locate-pointer.js';
import { normalizeChecks, normalizeSchemaDefaults } from './normalize-checks.js';
import { normalizeLimits } from './normalize-limits.js';
import { normalizePgpKeys } from './normalize-pgp.js';
import { parseDuration } from './parse-duration.js';
import { normalizeNotificationTargets, normalizeNotifyRoutes } from './normalize-notify.js';
import type {
  Connection,
  ConnectionAuth,
  CsvDialect,
  Dataset,
  Project,
  Segment,
  StateBackend,
  StaticAuth,
} from './model.js';
import { DEFAULT_ENV_PATTERNS } from './reference-policy.js';
import { normalizeGuards } from './normalize-guards.js';
import type { Auth, AuthStatic, CsvDialect as CsvDialectSpec, ProjectSpec } from './project-spec.gen.js';

export const DEFAULT_TIMEZONE = 'UTC';
export const DEFAULT_PIPELINE_GLOBS = ['pipelines/*.yaml'];

export const DEFAULT_CSV_DIALECT: CsvDialect = {
  delimiter: ',',
  quote: '"',
  escape: '"',
  header: true,
  encoding: 'utf-8',
};

/** The seed's "For tab delimited files enter t": `t` and `\t` (backslash-t) both mean TAB. */
export function normalizeDelimiter(delimiter: string): string {
  return delimiter === 't' || delimiter === '\\t' ? '\t' : delimiter;
}

export function normalizeCsvDialect(spec: CsvDialectSpec | undefined, base: CsvDialect): CsvDialect {
  const nullString = spec?.null_string ?? base.nullString;
  return {
    delimiter: spec?.delimiter !== undefined ? normalizeDelimiter(spec.delimiter) : base.delimiter,
    quote: spec?.quote ?? base.quote,
    escape: spec?.escape ?? spec?.quote ?? base.escape,
    header: spec?.header ?? base.header,
    encoding: spec?.encoding ?? base.encoding,
    ...(nullString !== undefined ? { nullString } : {}),
  };
}

function normalizeStaticAuth(auth: AuthStatic): StaticAuth {
  return {
    kind: 'static',
    accessKeyId: { ref: auth.access_key_id },
    secretAccessKey: { ref: auth.secret_access_key },
    ...(auth.session_token !== undefined ? { sessionToken: { ref: auth.session_token } } : {}),
  };
}

function normalizeAuth(auth: Auth | undefined): ConnectionAuth {
  if (!auth) return { kind: 'default', allowCustomEndpoint: false };
  switch (auth.kind) {
    case 'default':
      return { kind: 'default', allowCustomEndpoint: auth.allow_custom_endpoint ?? false };
    case 'static':
      return normalizeStaticAuth(auth);
    case 'assume_role':
      return {
        kind: 'assume_role',
        roleArn: auth.role_arn,
        ...(auth.external_id !== undefined ? { externalId: auth.external_id } : {}),
        ...(auth.session_name !== undefined ? { sessionName: auth.session_name } : {}),
        durationSeconds: auth.duration_seconds ?? 3600,
        source:
          auth.source?.kind === 'static'
            ? normalizeStaticAuth(auth.source)
            : { kind: 'default', allowCustomEndpoint: auth.source?.allow_custom_endpoint ?? false },
        ...(auth.sts_endpoint !== undefined ? { stsEndpoint: auth.sts_endpoint } : {}),
        ...(auth.sts_region !== undefined ? { stsRegion: auth.sts_region } : {}),
        allowCustomEndpoint: auth.allow_custom_endpoint ?? false,
      };
  }
}

export function normalizeProject(value: unknown, context: { file: string; directory: string }): Project {
  const spec = value as ProjectSpec;
  const connections: Record<string, Connection> = {};
  for (const [name, c] of Object.entries(spec.connections ?? {})) {
    if (!c) continue;
    connections[name] = {
      name,
      region: c.region ?? 'us-east-1',
      ...(c.endpoint !== undefined ? { endpoint: c.endpoint } : {}),
      forcePathStyle: c.force_path_style ?? false,
      checksum: c.checksum ?? (c.endpoint !== undefined ? 'when_required' : 'when_supported'),
      auth: normalizeAuth(c.auth),
      connectTimeoutMs: c.timeouts?.connect_ms ?? 10_000,
      requestTimeoutMs: c.timeouts?.request_ms ?? 60_000,
      bodyIdleTimeoutMs: c.timeouts?.body_idle_ms ?? 30_000,
      maxAttempts: c.max_attempts ?? 3,
      ...(c.pgp ? { pgp: normalizePgpKeys(c.pgp) } : {}),
      origin: { file: context.file, pointer: joinPointer(['connections', name]) },
    };
  }
  let state: StateBackend = { kind: 'local', directory: resolve(context.directory, 'state') };
  if (spec.state?.kind === 'local') {
    state = { kind: 'local', directory: resolve(context.directory, spec.state.directory ?? 'state') };
  } else if (spec.state?.kind === 's3') {
    const prefix = spec.state.prefix ?? '';
    state = {
      kind: 's3',
      connection: spec.state.connection,
      bucket: spec.state.bucket,
      prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`,
      lock: spec.state.lock ?? 'required',
      lockTtlMs: parseDuration(spec.state.lock_ttl ?? '10m') ?? 600_000,
    };
  }
  const datasets: Record<string, Dataset> = {};
  for (const [name, d] of Object.entries(spec.datasets ?? {})) {
    if (!d) continue;
    const columns: Record<string, string> = {};
    for (const [column, type] of Object.entries(d.columns ?? {}))
      if (type !== undefined) columns[column] = type;
    datasets[name] = {
      name,
      kind: d.kind,
      key: [...d.key],
      ...(d.description !== undefined ? { description: d.description } : {}),
      columns,
      keepVersions: d.keep_versions ?? 5,
      ...(d.checks?.length ? { checks: normalizeChecks(d.checks) } : {}),
      origin: { file: context.file, pointer: joinPointer(['datasets', name]) },
    };
  }
  const segments: Record<string, Segment> = {};
  for (const [name, s] of Object.entries(spec.segments ?? {})) {
    if (!s) continue;
    segments[name] = {
      name,
      dataset: s.dataset,
      where: s.where,
      ...(s.description !== undefined ? { description: s.description } : {}),
      origin: { file: context.file, pointer: joinPointer(['segments', name]) },
    };
  }
  return {
    directory: context.directory,
    file: context.file,
    connections,
    state,
    datasets,
    segments,
    defaults: {
      timezone: spec.defaults?.timezone ?? DEFAULT_TIMEZONE,
      csv: normalizeCsvDialect(spec.defaults?.csv, DEFAULT_CSV_DIALECT),
      ...(spec.defaults?.guards ? { guards: normalizeGuards(spec.defaults.guards) } : {}),
      csvPolicy: {
        ...(spec.defaults?.csv?.empty_file !== undefined ? { emptyFile: spec.defaults.csv.empty_file } : {}),
        ...(spec.defaults?.csv?.max_rejects !== undefined
          ? { maxRejects: spec.defaults.csv.max_rejects }
          : {}),
      },
      ...(spec.defaults?.schema ? { schema: normalizeSchemaDefaults(spec.defaults.schema) ?? {} } : {}),
    },
    pipelineGlobs: spec.pipelines ? [...spec.pipelines] : DEFAULT_PIPELINE_GLOBS,
    limits: normalizeLimits(spec.limits),
    references: {
      env: [...(spec.references?.env ?? DEFAULT_ENV_PATTERNS)],
      files: [...(spec.references?.files ?? [])],
    },
    ...(spec.notifications
      ? { notifications: normalizeNotificationTargets(spec.notifications, context.file) }
      : {}),
    ...(spec.defaults?.notify ? { notifyDefaults: normalizeNotifyRoutes(spec.defaults.notify) } : {}),
  };
}
