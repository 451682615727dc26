/**
 * The options and result of `uploadFile`, shared by its single-PUT and multipart paths.
 */

export interface UploadFileOptions {
  /** Connection name, for error messages. */
  connection: string;
  bucket: string;
  key: string;
  filePath: string;
  contentType?: string;
  /** User metadata; `ferry-sha256` is always set by ferry. */
  metadata?: Record<string, string>;
  /** Multipart part size, at least 5 MiB. */
  partSizeBytes?: number;
  /**
   * Files up to this size go in one PutObject (read into memory once); larger ones go multipart.
   * Default 64 MiB: about what the multipart window holds in memory anyway (8 parts of 8 MiB), and one
   * request instead of a CompleteMultipartUpload that some servers answer by copying the whole object.
   */
  multipartThresholdBytes?: number;
  /** Parts in flight at once. */
  queueSize?: number;
  /**
   * `*`: create only; an existing object makes the upload fail with 412 PreconditionFailed (sent on
   * the PUT, or on CompleteMultipartUpload) where the endpoint enforces it.
   */
  ifNoneMatch?: '*';
  /**
   * The file's hex SHA-256, when the caller has just taken it (a dataset version is hashed for its
   * manifest before it is stored): it goes into `ferry-sha256` as it is, and the upload does not read
   * the file a second time for it. A wrong value is stored as given, and every later read of the
   * object fails its check.
   */
  sha256?: string;
  signal?: AbortSignal;
}

export interface UploadedObject {
  key: string;
  size: number;
  /** Hex SHA-256 of the file, as stored in `ferry-sha256`. */
  sha256: string;
  /** ETag without quotes (not a content hash for multipart objects). */
  etag: string;
  /**
   * How the stored object was proved to be the file: `etag` (the PUT's ETag is the file's MD5, so
   * the server hashed the same bytes) or `head` (HeadObject showed its length and `ferry-sha256`).
   */
  verifiedBy: 'etag' | 'head';
}
