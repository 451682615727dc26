/**
 * Every JSON document ferry reads back from state is checked against a schema before it is used: a
 * file changed or damaged outside ferry gives a coded error naming the file and the way out, never a
 * crash deep in a run and never a silent reset to "empty".
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { FerryError } from '../errors/ferry-error.js';

type Schema = Record<string, unknown>;

const str = { type: 'string' };
const int = { type: 'integer', minimum: 0 };
const strings = { type: 'array', items: str };

const counts = {
  type: 'object',
  additionalProperties: int,
};

const orphan = {
  type: 'object',
  required: ['connection', 'bucket', 'key', 'runId'],
  properties: { connection: str, bucket: str, key: str, runId: str, reason: str },
};

const runRecord = {
  type: 'object',
  required: ['runId', 'status', 'startedAt', 'finishedAt', 'counts', 'outputs'],
  properties: {
    runId: str,
    attemptId: str,
    retryOf: str,
    status: { enum: ['succeeded', 'failed'] },
    startedAt: str,
    finishedAt: str,
    durationMs: { type: 'number' },
    counts,
    outputs: {
      type: 'array',
      items: { type: 'object', required: ['bucket', 'key'], properties: { bucket: str, key: str } },
    },
    rejectedRowsFile: str,
    error: { type: 'object', required: ['code', 'message'], properties: { code: str, message: str } },
  },
};

const SCHEMAS = {
  'pipeline state': {
    type: 'object',
    required: ['formatVersion', 'pipeline', 'processed', 'history'],
    properties: {
      formatVersion: { enum: [1, 2] },
      pipeline: str,
      generation: int,
      configFingerprint: str,
      processed: {
        type: 'array',
        items: {
          type: 'object',
          required: ['key', 'etag', 'size', 'lastModified'],
          properties: { key: str, etag: str, size: int, lastModified: str, processedAt: str, runId: str },
        },
      },
      sequenceCursor: {
        type: 'object',
        required: ['key', 'timestamp'],
        properties: { key: str, timestamp: str },
      },
      snapshot: {
        type: 'object',
        required: ['file', 'rows'],
        properties: { file: { type: 'string', pattern: '^snapshot-[A-Za-z0-9_-]+\\.parquet$' }, rows: int },
      },
      exportWatermarks: { type: 'object', additionalProperties: int },
      exportFingerprint: { type: 'string', pattern: '^[0-9a-f]{64}$' },
      datasetVersions: { type: 'object', additionalProperties: int },
      orphans: { type: 'array', items: orphan },
      sourceSchema: {
        type: 'object',
        required: ['columns', 'header'],
        properties: {
          columns: {
            type: 'array',
            items: { type: 'object', required: ['name', 'type'], properties: { name: str, type: str } },
          },
          header: { type: 'boolean' },
        },
      },
      rowCount: int,
      quarantined: {
        type: 'array',
        items: {
          type: 'object',
          required: ['key', 'etag', 'size', 'code', 'message', 'at'],
          properties: {
            key: str,
            etag: str,
            size: int,
            code: str,
            message: str,
            at: str,
            runId: str,
            guards: strings,
          },
        },
      },
      lastSuccessfulRun: runRecord,
      history: { type: 'array', items: runRecord },
    },
  },
  'dataset manifest': {
    type: 'object',
    required: ['formatVersion', 'dataset', 'current', 'versions'],
    properties: {
      formatVersion: { enum: [1, 2] },
      dataset: str,
      current: { type: ['integer', 'null'], minimum: 1 },
      versions: {
        type: 'array',
        items: {
          type: 'object',
          required: ['version', 'file', 'rows'],
          properties: {
            version: { type: 'integer', minimum: 1 },
            file: { type: 'string', pattern: '^v\\d{6,}(-[A-Za-z0-9_-]+)?\\.parquet$' },
            rows: int,
            sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
          },
        },
      },
      parents: { type: 'object', additionalProperties: { type: ['integer', 'null'] } },
    },
  },
  'run journal': {
    type: 'object',
    required: [
      'formatVersion',
      'pipeline',
      'fingerprint',
      'runId',
      'runTime',
      'attempts',
      'outputs',
      'orphans',
    ],
    properties: {
      formatVersion: { const: 1 },
      pipeline: str,
      fingerprint: str,
      runId: str,
      runTime: str,
      attempts: strings,
      outputs: { type: 'array', items: orphan },
      orphans: { type: 'array', items: orphan },
    },
  },
  'backend record': {
    type: 'object',
    required: ['formatVersion', 'conditionalWrites', 'checkedAt'],
    properties: {
      formatVersion: { const: 1 },
      conditionalWrites: { enum: ['enforced', 'not-enforced'] },
      checkedAt: str,
      detail: str,
    },
  },
  lock: {
    type: 'object',
    required: ['owner', 'runId', 'host', 'pid', 'acquiredAt', 'expiresAt'],
    properties: {
      owner: str,
      runId: str,
      host: str,
      pid: { type: 'integer' },
      acquiredAt: str,
      expiresAt: str,
    },
  },
} satisfies Record<string, Schema>;

export type StateDocumentKind = keyof typeof SCHEMAS;

let ajv: Ajv | undefined;
const validators = new Map<StateDocumentKind, ValidateFunction>();

function validatorFor(kind: StateDocumentKind): ValidateFunction {
  let validate = validators.get(kind);
  if (!validate) {
    ajv ??= new Ajv({ allErrors: false, strict: false });
    validate = ajv.compile(SCHEMAS[kind]);
    validators.set(kind, validate);
  }
  return validate;
}

/**
 * Parses and checks one state document. `where` names it for the message (`state/pipelines/a/state.json`);
 * `hint` says what to do when it is damaged.
 */
export function parseStateDocument<T>(
  kind: StateDocumentKind,
  data: Buffer,
  options: { where: string; hint: string; context?: { pipeline?: string; dataset?: string } },
): T {
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch (error) {
    throw new FerryError('STATE_CORRUPT', `The ${kind} ${options.where} is not valid JSON.`, {
      cause: error,
      context: { file: options.where, ...options.context },
      hint: options.hint,
    });
  }
  const validate = validatorFor(kind);
  if (!validate(value)) {
    const [first] = validate.errors ?? [];
    const at = first ? `${first.instancePath || '/'} ${first.message ?? 'is invalid'}` : 'is invalid';
    throw new FerryError('STATE_CORRUPT', `The ${kind} ${options.where} is damaged: ${at}.`, {
      context: { file: options.where, ...options.context },
      hint: options.hint,
    });
  }
  return value as T;
}
