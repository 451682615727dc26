/**
 * The options and result of `downloadObject`, shared by its one-GET and ranged paths.
 */

export interface DownloadObjectOptions {
  /** Connection name, for error messages. */
  connection: string;
  bucket: string;
  key: string;
  /** Local destination chosen by the caller (inside the run's temp dir); never derived from the key. */
  destPath: string;
  /** Size from the listing; a different Content-Length means the object changed since it was listed. */
  expectedSize?: number;
  /** Whole-GET attempts when the body is cut or stalls (each GET also gets the SDK's own retries). */
  maxAttempts?: number;
  /** Longest silence while the body streams; should match the connection's bodyIdleTimeoutMs. */
  bodyIdleTimeoutMs?: number;
  /**
   * Objects of at least this size (as listed: `expectedSize`) come in parallel byte ranges. Default
   * 64 MiB; smaller objects, and objects whose size was not listed, are one GET.
   */
  rangedThresholdBytes?: number;
  /** Size of each range (default 16 MiB). */
  rangeBytes?: number;
  /** Ranges in flight at once for one object (default 4). */
  rangeConcurrency?: number;
  signal?: AbortSignal;
  /**
   * Leave a body small enough to be read into memory (read-small-body.ts) unwritten: the result's
   * `bytes` are then its only copy (`inMemoryOnly`), and the caller writes them to destPath with
   * writeDownloadedBody if and when it needs the file. Larger bodies are written as always.
   */
  keepSmallBodyInMemory?: boolean;
}

export interface DownloadedObject {
  path: string;
  size: number;
  /** Hex SHA-256 of the bytes written. */
  sha256: string;
  /** ETag without quotes. */
  etag: string;
  lastModified: Date | undefined;
  contentType: string | undefined;
  /**
   * The object's first bytes (up to HEAD_BYTES; fewer when it is shorter), seen as they came in:
   * detectCompression takes them instead of opening the file again.
   */
  head?: Buffer;
  /** The whole body, for an object small enough to have been read into memory (read-small-body.ts). */
  bytes?: Buffer;
  /** Set when `keepSmallBodyInMemory` left the body unwritten: `path` does not exist yet. */
  inMemoryOnly?: true;
}

/** How many of an object's first bytes a download keeps (`DownloadedObject.head`). */
export const HEAD_BYTES = 16;
