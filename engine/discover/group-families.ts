/**
 * A listing → families of files, each with the `prefix`, `match`, `timestamp_format` and `pick` one
 * pipeline needs to take exactly those files. Pure. Names of the same shape (parse-key-shape.ts) are
 * one family; READMEs, backups and the like are set aside (classify-file.ts). Every proposed `match`
 * is checked with re2js, the engine ferry runs it with: it must take every file of its family and no
 * other listed file; when it cannot be made to, the family says so in its notes.
 */
import { RE2JS } from 're2js';
import { classifyFileName, ignoreReason } from './classify-file.js';
import type { Discovery, FileFamily, IgnoredFile, ListedFile } from './discovery-model.js';
import { escapeRegex, parseKeyShape, type KeyShape } from './parse-key-shape.js';
import { inferCadence } from './infer-cadence.js';
import { parseTimestamp } from '../time/timestamp-format.js';

interface Member {
  file: ListedFile;
  name: string;
  shape: KeyShape;
}

export interface GroupFamiliesOptions {
  /** The listed prefix; every key starts with it. */
  prefix: string;
  /** Pipeline names already taken (in the project), so proposals do not collide with them. */
  takenNames?: readonly string[];
}

type Part = { literal: string } | { pattern: string };

/** One part per shape token: constant text and digits stay literal, the rest become patterns. */
function familyParts(members: readonly Member[]): Part[] {
  const first = members[0]?.shape.tokens ?? [];
  return first.map((token, i): Part => {
    if (token.kind === 'text') return { literal: token.text };
    if (token.kind === 'timestamp') {
      return { pattern: `(?P<timestamp>${members[0]?.shape.timestamp?.pattern ?? '.+'})` };
    }
    const values = members.map((m) => {
      const t = m.shape.tokens[i];
      return t?.kind === 'number' ? t.text : '';
    });
    if (values.every((v) => v === values[0])) return { literal: token.text };
    const lengths = values.map((v) => v.length);
    const min = Math.min(...lengths);
    const max = Math.max(...lengths);
    return { pattern: min === max ? `\\d{${min}}` : `\\d{${min},${max}}` };
  });
}

/** The constant folders in front of the first varying part, and the anchored regex for the rest. */
function splitPrefix(parts: readonly Part[]): { folders: string; match: string } {
  let lead = '';
  let i = 0;
  for (; i < parts.length; i += 1) {
    const part = parts[i];
    if (part === undefined || !('literal' in part)) break;
    lead += part.literal;
  }
  const cut = lead.lastIndexOf('/') + 1;
  const rest = parts.slice(i).map((p) => ('literal' in p ? escapeRegex(p.literal) : p.pattern));
  return { folders: lead.slice(0, cut), match: `^${escapeRegex(lead.slice(cut))}${rest.join('')}$` };
}

function displayShape(members: readonly Member[], parts: readonly Part[]): string {
  const format = members[0]?.shape.timestamp?.format;
  return parts
    .map((p) =>
      'literal' in p ? p.literal : p.pattern.startsWith('(?P<timestamp>') ? `{${format ?? ''}}` : '*',
    )
    .join('');
}

const NAME_MAX = 63;

function sanitizeName(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '')
    .slice(0, NAME_MAX)
    .replace(/[-_]+$/g, '');
}

/** The text in front of the first varying part of the file name, else the folder, else the extension. */
function baseName(folders: string, parts: readonly Part[], extension: string): string {
  let lead = '';
  for (const part of parts) {
    if (!('literal' in part)) break;
    lead += part.literal;
  }
  const fileLead = lead.slice(lead.lastIndexOf('/') + 1);
  const stem =
    fileLead.includes('.') && parts.every((p) => 'literal' in p)
      ? fileLead.slice(0, fileLead.indexOf('.'))
      : fileLead;
  const folder = folders.split('/').filter(Boolean).pop() ?? '';
  return sanitizeName(stem) || sanitizeName(folder) || sanitizeName(extension) || 'files';
}

function uniqueName(base: string, extension: string, taken: Set<string>): string {
  const candidates = [base, sanitizeName(`${base}-${extension}`)];
  let name = candidates.find((c) => c !== '' && !taken.has(c));
  for (let n = 2; name === undefined; n += 1) {
    const c = `${base.slice(0, NAME_MAX - String(n).length - 1)}-${n}`;
    if (!taken.has(c)) name = c;
  }
  taken.add(name);
  return name;
}

function byTimestampThenKey(a: Member, b: Member): number {
  const ta = a.shape.timestamp?.value.getTime() ?? 0;
  const tb = b.shape.timestamp?.value.getTime() ?? 0;
  return ta - tb || (a.file.key < b.file.key ? -1 : a.file.key > b.file.key ? 1 : 0);
}

function newestOf(members: readonly Member[]): ListedFile {
  const hasTimestamp = members[0]?.shape.timestamp !== undefined;
  let newest = members[0] as Member;
  for (const m of members) {
    const later = hasTimestamp
      ? byTimestampThenKey(m, newest) > 0
      : m.file.lastModified.getTime() > newest.file.lastModified.getTime() ||
        (m.file.lastModified.getTime() === newest.file.lastModified.getTime() &&
          m.file.key > newest.file.key);
    if (later) newest = m;
  }
  return newest.file;
}

/** `<text>{ts}<.ext>`: a prefix_timestamp name, the form of a continuous sequence. */
function isPrefixTimestamp(shape: KeyShape): boolean {
  const lastFolder = shape.tokens.findLastIndex((t) => t.kind === 'text' && t.text.includes('/'));
  const kinds = shape.tokens.slice(lastFolder + 1).map((t) => t.kind);
  const folderToken = shape.tokens[lastFolder];
  if (folderToken?.kind === 'text' && !folderToken.text.endsWith('/')) kinds.unshift('text');
  const last = shape.tokens[shape.tokens.length - 1];
  return (
    kinds.join(',') === 'text,timestamp,text' &&
    last?.kind === 'text' &&
    /^(\.[A-Za-z0-9]+)+$/.test(last.text)
  );
}

function compileFamily(prefix: string, members: Member[], taken: Set<string>): FileFamily {
  members.sort(byTimestampThenKey);
  const parts = familyParts(members);
  const { folders, match } = splitPrefix(parts);
  const first = members[0] as Member;
  const fileName = first.name.slice(first.name.lastIndexOf('/') + 1);
  const kind = classifyFileName(fileName);
  const timestamp = first.shape.timestamp;
  const sequence = timestamp !== undefined && timestamp.hasTime && isPrefixTimestamp(first.shape);
  const notes: string[] = [];
  // The names were read with a fast path; ferry's own parser must read them the same way.
  const text = timestamp ? first.name.slice(timestamp.start, timestamp.end) : '';
  if (timestamp && parseTimestamp(text, timestamp.format, 'UTC')?.getTime() !== timestamp.value.getTime()) {
    notes.push(
      `"${text}" does not read as ${timestamp.format} with ferry's parser (a bug in discover; please report it).`,
    );
  }
  const cadence = sequence
    ? inferCadence(
        members.map((m) => m.shape.timestamp?.value ?? new Date(0)),
        notes,
      )
    : undefined;
  const last = members[members.length - 1] as Member;
  const shape = displayShape(members, parts);
  return {
    name: uniqueName(baseName(folders, parts, kind.extension), kind.extension, taken),
    shape,
    fileShape: shape.slice(folders.length),
    prefix: prefix + folders,
    match,
    ...(timestamp ? { timestampFormat: timestamp.format } : {}),
    files: members.map((m) => m.file),
    newest: newestOf(members),
    ...(timestamp
      ? { firstTimestamp: timestamp.value, lastTimestamp: last.shape.timestamp?.value ?? timestamp.value }
      : {}),
    format: kind.format,
    compression: kind.compression,
    pick: sequence ? 'sequence' : 'all-new',
    ...(timestamp ? { order: 'timestamp' as const } : {}),
    ...(cadence ?? {}),
    notes,
  };
}

/** Each family's `match` must take its own files and no other listed file under its prefix. */
function checkOverlaps(families: FileFamily[], others: readonly ListedFile[]): void {
  const all = [...families.flatMap((f) => f.files), ...others];
  for (const family of families) {
    const regex = RE2JS.compile(family.match);
    const own = new Set(family.files.map((f) => f.key));
    const missed = family.files.filter((f) => !regex.matches(f.key.slice(family.prefix.length)));
    const extra = all.filter(
      (f) =>
        !own.has(f.key) &&
        f.key.startsWith(family.prefix) &&
        regex.matches(f.key.slice(family.prefix.length)),
    );
    if (missed.length)
      family.notes.push(
        `match does not take ${missed.length} of its own files (a bug in discover; please report it).`,
      );
    if (extra.length) {
      family.notes.push(
        `match also takes ${extra.length} other file${extra.length === 1 ? '' : 's'} (e.g. ${extra[0]?.key ?? ''}): tighten it before you use it.`,
      );
    }
  }
}

/** Groups a listing under `prefix` into families and ignored files. */
export function groupFamilies(
  files: readonly ListedFile[],
  options: GroupFamiliesOptions,
): Pick<Discovery, 'families' | 'ignored' | 'folderMarkers'> {
  const groups = new Map<string, Member[]>();
  const ignored: IgnoredFile[] = [];
  let folderMarkers = 0;
  for (const file of files) {
    const name = file.key.slice(options.prefix.length);
    if (name === '' || name.endsWith('/')) {
      folderMarkers += 1;
      continue;
    }
    const reason = ignoreReason(name.slice(name.lastIndexOf('/') + 1));
    if (reason) {
      ignored.push({ ...file, reason });
      continue;
    }
    const shape = parseKeyShape(name);
    const group = groups.get(shape.key) ?? [];
    group.push({ file, name, shape });
    groups.set(shape.key, group);
  }
  const taken = new Set(options.takenNames ?? []);
  const ordered = [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const families = ordered.map(([, members]) => compileFamily(options.prefix, members, taken));
  checkOverlaps(families, ignored);
  ignored.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { families, ignored, folderMarkers };
}
