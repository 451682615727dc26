/**
 * The S3 state backend's storage: one object per key under `s3://bucket/prefix/`. The version of a
 * blob is its ETag (quotes stripped); compare-and-swap is a PutObject with `If-Match: "<etag>"`,
 * create-if-absent one with `If-None-Match: *`, and a failed condition (412, or 409 while another
 * conditional write to the key is in flight) is STATE_CONFLICT.
 *
 * Small documents go in one PutObject (Content-MD5 added by the client, their SHA-256 in
 * `ferry-sha256` metadata and checked on every read); large immutable files (snapshots, dataset
 * versions) go through uploadFile (verified by the ETag of a single PUT, or with HeadObject after
 * a multipart upload) and are checked the same way when fetched.
 *
 * Whether the endpoint enforces the conditions is probed once per store (see
 * probe-conditional-writes.ts) and recorded in `backend.json`, so a plan with read-only credentials
 * learns it too. Where they are not enforced, conditions are checked by reading first — advisory
 * only, since another writer can slip in between — and the state store refuses to lock unless the
 * project accepted that (`state.lock: unsafe-single-writer`).
 */
import { createHash, randomUUID } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { FerryError, isFerryError } from '../errors/ferry-error.js';
import { failpoint } from '../io/failpoint.js';
import { downloadObject } from '../io/s3/download-object.js';
import { headObject, type S3ObjectHead } from '../io/s3/head-object.js';
import { listObjects } from '../io/s3/list-objects.js';
import { probeConditionalWrites } from '../io/s3/probe-conditional-writes.js';
import { stripEtagQuotes } from '../io/s3/strip-etag-quotes.js';
import { FERRY_SHA256_METADATA, uploadFile } from '../io/s3/upload-file.js';
import { formatS3Uri, wrapS3Error } from '../io/s3/wrap-s3-error.js';
import {
  assertStateKey,
  type BlobStore,
  type ConditionalWriteCheck,
  type StoredBlob,
  type WriteCondition,
} from './blob-store.js';
import { PROBE_PREFIX, readRecordedProbe, recordProbe } from './s3-conditional-writes.js';

export interface S3BlobStoreOptions {
  client: S3Client;
  /** The connection's name, for messages. */
  connection: string;
  bucket: string;
  /** '' (bucket root) or a folder ending in '/'. */
  prefix: string;
  /** Longest silence while a file downloads (the connection's body idle timeout). */
  bodyIdleTimeoutMs?: number;
}

const READ_ATTEMPTS = 3;

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function statusOf(error: unknown): number | undefined {
  if (isFerryError(error))
    return typeof error.context.httpStatus === 'number' ? error.context.httpStatus : undefined;
  const metadata = (error as { $metadata?: { httpStatusCode?: unknown } } | undefined)?.$metadata;
  return typeof metadata?.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
}

function attemptsOf(error: unknown): number {
  const metadata = (error as { $metadata?: { attempts?: unknown } } | undefined)?.$metadata;
  return typeof metadata?.attempts === 'number' ? metadata.attempts : 1;
}

export class S3BlobStore implements BlobStore {
  readonly sharedAcrossHosts = true;
  private probing: Promise<ConditionalWriteCheck> | undefined;

  constructor(private readonly options: S3BlobStoreOptions) {}

  get location(): string {
    return formatS3Uri(this.options.bucket, this.options.prefix);
  }

  describe(key: string): string {
    return formatS3Uri(this.options.bucket, this.options.prefix + key);
  }

  private objectKey(key: string): string {
    assertStateKey(key);
    return this.options.prefix + key;
  }

  private target(operation: string, key: string) {
    return {
      operation,
      connection: this.options.connection,
      bucket: this.options.bucket,
      key: this.objectKey(key),
    };
  }

  async checkConditionalWrites(options: { readOnly?: boolean } = {}): Promise<ConditionalWriteCheck> {
    try {
      return await (this.probing ??= this.probe());
    } catch (error) {
      if (!options.readOnly || !isFerryError(error) || error.code !== 'S3_ACCESS_DENIED') throw error;
      return readRecordedProbe(this);
    }
  }

  private async probe(): Promise<ConditionalWriteCheck> {
    const found = await probeConditionalWrites(this.options.client, {
      connection: this.options.connection,
      bucket: this.options.bucket,
      key: this.objectKey(`${PROBE_PREFIX}${randomUUID()}`),
    });
    return recordProbe(this, found);
  }

  private async enforced(): Promise<boolean> {
    return (await this.checkConditionalWrites()).support === 'enforced';
  }

  async read(key: string): Promise<StoredBlob | undefined> {
    for (let attempt = 1; ; attempt += 1) {
      let response;
      try {
        response = await this.options.client.send(
          new GetObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key) }),
        );
      } catch (error) {
        const wrapped = wrapS3Error(error, this.target('GetObject', key));
        if (wrapped.code === 'S3_NO_SUCH_KEY') return undefined;
        throw wrapped;
      }
      let data: Buffer;
      try {
        data = Buffer.from((await response.Body?.transformToByteArray()) ?? []);
      } catch (error) {
        if (attempt < READ_ATTEMPTS) continue;
        throw wrapS3Error(error, this.target('GetObject', key));
      }
      const stored = response.Metadata?.[FERRY_SHA256_METADATA];
      const whole = response.ContentLength === undefined || response.ContentLength === data.length;
      if (!whole || (stored !== undefined && stored !== sha256(data))) {
        if (attempt < READ_ATTEMPTS) continue;
        throw new FerryError(
          'STATE_CORRUPT',
          `${this.describe(key)} is not what ferry wrote: ${whole ? `its SHA-256 differs from the ${FERRY_SHA256_METADATA} it was stored with` : `${data.length} of ${response.ContentLength} bytes arrived`} (${READ_ATTEMPTS} reads).`,
          {
            context: { file: this.describe(key) },
            hint: 'Restore it from a backup (bucket versioning keeps the earlier versions).',
          },
        );
      }
      if (!response.ETag) {
        throw new FerryError('S3_UNEXPECTED', `GetObject ${this.describe(key)} answered without an ETag.`, {
          context: this.target('GetObject', key),
        });
      }
      return {
        data,
        version: stripEtagQuotes(response.ETag),
        modifiedAt: response.LastModified ?? new Date(0),
      };
    }
  }

  async write(key: string, data: string | Buffer, condition?: WriteCondition): Promise<string> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const digest = sha256(bytes);
    const enforced = condition ? await this.enforced() : false;
    if (condition && !enforced) await this.checkByReading(key, condition);
    if (key.endsWith('/state.json')) failpoint('during-state-write');
    try {
      const response = await this.options.client.send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: this.objectKey(key),
          Body: bytes,
          ContentLength: bytes.length,
          ContentType: key.endsWith('.json') ? 'application/json' : 'application/octet-stream',
          Metadata: { [FERRY_SHA256_METADATA]: digest },
          ...(condition && enforced
            ? 'ifMatch' in condition
              ? { IfMatch: `"${condition.ifMatch}"` }
              : { IfNoneMatch: '*' }
            : {}),
        }),
      );
      if (response.ETag) return stripEtagQuotes(response.ETag);
      return (await this.head(key))?.etag ?? '';
    } catch (error) {
      if (condition && enforced && this.isConditionFailure(error, condition)) {
        // A retried PUT whose first attempt landed (its answer was lost) fails its own condition.
        if (attemptsOf(error) > 1) {
          const head = await this.head(key);
          if (head?.metadata[FERRY_SHA256_METADATA] === digest) return head.etag;
        }
        throw this.conflict(key, condition);
      }
      throw wrapS3Error(error, this.target('PutObject', key));
    }
  }

  async delete(key: string, condition?: { ifMatch: string }): Promise<void> {
    // Also where the endpoint enforces conditional deletes: one that ignores them is caught here
    // (but for the moment between this check and the delete).
    if (condition) {
      const head = await this.head(key);
      if (!head) return;
      if (head.etag !== condition.ifMatch) throw this.conflict(key, condition);
    }
    const enforced = condition ? await this.enforced() : false;
    try {
      await this.options.client.send(
        new DeleteObjectCommand({
          Bucket: this.options.bucket,
          Key: this.objectKey(key),
          ...(condition && enforced ? { IfMatch: `"${condition.ifMatch}"` } : {}),
        }),
      );
    } catch (error) {
      const status = statusOf(error);
      if (status === 404) return;
      if (condition && (status === 412 || status === 409)) throw this.conflict(key, condition);
      throw wrapS3Error(error, this.target('DeleteObject', key));
    }
  }

  async list(prefix: string): Promise<string[]> {
    const root = this.options.prefix;
    const objects = await listObjects(this.options.client, {
      connection: this.options.connection,
      bucket: this.options.bucket,
      prefix: root + prefix,
    });
    return objects
      .map((o) => o.key.slice(root.length))
      .filter((key) => {
        try {
          assertStateKey(key);
          return true;
        } catch {
          return false; // not ferry's (a folder marker, a key someone else put there)
        }
      })
      .sort();
  }

  async putFile(
    key: string,
    localPath: string,
    condition?: { ifNoneMatch: '*' },
    known?: { sha256: string },
  ): Promise<void> {
    const enforced = condition ? await this.enforced() : false;
    if (condition && !enforced) await this.checkByReading(key, condition);
    try {
      await uploadFile(this.options.client, {
        connection: this.options.connection,
        bucket: this.options.bucket,
        key: this.objectKey(key),
        filePath: localPath,
        ...(known === undefined ? {} : { sha256: known.sha256 }),
        ...(condition && enforced ? { ifNoneMatch: '*' } : {}),
      });
    } catch (error) {
      if (condition && enforced && this.isConditionFailure(error, condition))
        throw this.conflict(key, condition);
      throw error;
    }
  }

  async getFile(key: string, localPath: string): Promise<boolean> {
    const where = this.target('GetObject', key);
    try {
      const downloaded = await downloadObject(this.options.client, {
        connection: where.connection,
        bucket: where.bucket,
        key: where.key,
        destPath: localPath,
        ...(this.options.bodyIdleTimeoutMs === undefined
          ? {}
          : { bodyIdleTimeoutMs: this.options.bodyIdleTimeoutMs }),
      });
      // Immutable files: the bytes must be the ones uploadFile stored and verified.
      const stored = (await this.head(key))?.metadata[FERRY_SHA256_METADATA];
      if (stored !== undefined && stored !== downloaded.sha256) {
        throw new FerryError(
          'STATE_CORRUPT',
          `${this.describe(key)} is not what ferry wrote: its SHA-256 differs from the ${FERRY_SHA256_METADATA} it was stored with.`,
          {
            context: { file: this.describe(key) },
            hint: 'Restore it from a backup (bucket versioning keeps the earlier versions).',
          },
        );
      }
      return true;
    } catch (error) {
      if (isFerryError(error) && error.code === 'S3_NO_SUCH_KEY') return false;
      throw error;
    }
  }

  private async head(key: string): Promise<S3ObjectHead | undefined> {
    const where = this.target('HeadObject', key);
    try {
      return await headObject(this.options.client, {
        connection: where.connection,
        bucket: where.bucket,
        key: where.key,
      });
    } catch (error) {
      if (isFerryError(error) && error.code === 'S3_NO_SUCH_KEY') return undefined;
      throw error;
    }
  }

  /** Where the endpoint does not enforce conditions: check them by reading (advisory only). */
  private async checkByReading(key: string, condition: WriteCondition): Promise<void> {
    const head = await this.head(key);
    const ok = 'ifNoneMatch' in condition ? head === undefined : head?.etag === condition.ifMatch;
    if (!ok) throw this.conflict(key, condition);
  }

  private isConditionFailure(error: unknown, condition: WriteCondition): boolean {
    const status = statusOf(error);
    // 409 ConditionalRequestConflict: another conditional write to the key is in flight.
    return status === 412 || status === 409 || ('ifMatch' in condition && status === 404);
  }

  private conflict(key: string, condition: WriteCondition | { ifMatch: string }): FerryError {
    return new FerryError(
      'STATE_CONFLICT',
      `${this.describe(key)} changed while this run was working${'ifNoneMatch' in condition ? ' (it exists already)' : ''}.`,
      {
        context: { file: this.describe(key), bucket: this.options.bucket, key: this.objectKey(key) },
        hint: 'Another run wrote the same state. Nothing of this run was committed; run it again.',
      },
    );
  }
}
