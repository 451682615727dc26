/**
 * The reference resolver a project is loaded with: the policy (config/reference-policy.ts) plus the
 * checks only the disk can answer. A file reference may read
 *   - a file inside the project directory: a relative path without hidden (dot) segments, whose real
 *     path (symbolic links followed) is still inside the project and not hidden;
 *   - in secret settings also, a file under /run/secrets or /var/run/secrets;
 *   - in any setting, a file `references.files` lists (the path as written and its real path match).
 * Only regular files of at most MAX_REFERENCE_FILE_BYTES are read, so `/dev/zero` or a FIFO cannot
 * hang a `validate`.
 */
import { closeSync, fstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { isAbsolute, normalize, relative, resolve, sep } from 'node:path';
import type { Reference, ReferenceResolver } from '../config/interpolate-references.js';
import {
  refuseEnvReference,
  refuseFileReference,
  SECRET_MOUNT_PATTERNS,
  type ReferencePolicy,
} from '../config/reference-policy.js';
import { globToRegExp } from './find-files.js';

export const MAX_REFERENCE_FILE_BYTES = 1024 * 1024;

function realpathOrUndefined(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/** The path relative to `dir` as segments, or undefined when it is not inside `dir`. */
function segmentsInside(dir: string, path: string): string[] | undefined {
  const rel = relative(dir, path);
  if (rel === '' || isAbsolute(rel) || rel === '..' || rel.startsWith(`..${sep}`)) return undefined;
  return rel.split(sep);
}

const hidden = (segments: readonly string[]) => segments.some((s) => s.startsWith('.'));

/**
 * Reads a regular file of at most MAX_REFERENCE_FILE_BYTES as UTF-8 without its final newline;
 * undefined otherwise. Reads until the end rather than trusting the size (/proc files report 0).
 */
function readReferencedFile(path: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    if (!fstatSync(fd).isFile()) return undefined;
    const buffer = Buffer.alloc(MAX_REFERENCE_FILE_BYTES + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length < buffer.length; length += n) {
      n = readSync(fd, buffer, length, buffer.length - length, null);
    }
    if (length > MAX_REFERENCE_FILE_BYTES) return undefined;
    return buffer
      .subarray(0, length)
      .toString('utf8')
      .replace(/\r?\n$/, '');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export function createReferenceResolver(options: {
  projectDir: string;
  env: NodeJS.ProcessEnv;
  policy: ReferencePolicy;
}): ReferenceResolver {
  const { projectDir, env, policy } = options;
  const realProject = realpathOrUndefined(projectDir) ?? resolve(projectDir);
  const listed = policy.files.map((glob) => globToRegExp(resolve(projectDir, glob)));
  const mounts = SECRET_MOUNT_PATTERNS.map((glob) => globToRegExp(glob));
  const secretFiles = new Map<string, string>();
  for (const [name, use] of policy.secretFiles) {
    const real = realpathOrUndefined(resolve(projectDir, name));
    if (real !== undefined) secretFiles.set(real, use);
  }

  /** Both the path as written and where it really leads must be allowed. */
  const fileAllowed = (ref: Reference, secret: boolean, real: string | undefined): boolean => {
    const absolute = resolve(projectDir, ref.name);
    const patterns = secret ? [...listed, ...mounts] : listed;
    const matches = (path: string) => patterns.some((pattern) => pattern.test(path));
    if (matches(absolute) && (real === undefined || matches(real))) return true;
    if (isAbsolute(ref.name) || hidden(normalize(ref.name).split(/[\\/]/))) return false;
    const inside =
      real === undefined ? segmentsInside(projectDir, absolute) : segmentsInside(realProject, real);
    return inside !== undefined && !hidden(inside);
  };

  return {
    refuse(ref, field) {
      if (ref.kind === 'env') return refuseEnvReference(ref, policy, field);
      const real = realpathOrUndefined(resolve(projectDir, ref.name));
      if (!fileAllowed(ref, field.secret, real)) return refuseFileReference(ref, field, 'outside');
      const secretUse = real === undefined ? undefined : secretFiles.get(real);
      if (!field.secret && secretUse !== undefined) {
        return refuseFileReference(ref, field, 'secret-file', secretUse);
      }
      return undefined;
    },
    read(ref) {
      if (ref.kind === 'env') return env[ref.name];
      return readReferencedFile(resolve(projectDir, ref.name));
    },
  };
}
