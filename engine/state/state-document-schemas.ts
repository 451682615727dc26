/**
 * The schemas every state document is checked against when it is read back (state-documents.ts).
 * Plain data: scripts/generate-state-validators.ts turns them into standalone validators
 * (state-document-validators.gen.ts), so a run neither loads ajv nor compiles a schema; change a
 * schema here and run `npm run gen:types`.
 */
import { createHash } from 'node:crypto';

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

export const STATE_DOCUMENT_SCHEMAS = {
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

export type StateDocumentKind = keyof typeof STATE_DOCUMENT_SCHEMAS;

/** The ajv options the validators are made with (generated, or compiled at run time when stale). */
export const STATE_VALIDATOR_AJV_OPTIONS = { allErrors: false, strict: false } as const;

/** sha256 of the schemas as JSON: the generated validators' record of what they were made from. */
export function stateSchemasFingerprint(): string {
  return createHash('sha256').update(JSON.stringify(STATE_DOCUMENT_SCHEMAS)).digest('hex');
}
