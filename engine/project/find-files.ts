/**
 * Expands the small glob language ferry's `pipelines:` setting uses (`*`, `**`, `?`) relative to the
 * project directory, in a stable (sorted) order. Node 20 has no fs.glob; this is enough for config files.
 */
import { lstatSync, readdirSync, statSync, type Stats } from 'node:fs';
import { join, relative, sep } from 'node:path';

export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] ?? '';
    if (ch === '*') {
      if (glob[i + 1] === '*') {
        const slash = glob[i + 2] === '/';
        out += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else {
        out += '[^/]*';
      }
    } else if (ch === '?') {
      out += '[^/]';
    } else {
      out += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${out}$`);
}

function walk(dir: string, root: string, out: string[]): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries.sort()) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    const full = join(dir, entry);
    let stat: Stats | undefined;
    try {
      // Symlinked directories are not followed, so a link loop cannot recurse forever.
      stat = lstatSync(full);
      if (stat.isSymbolicLink()) {
        const target = statSync(full, { throwIfNoEntry: false });
        stat = target?.isFile() ? target : undefined;
      }
    } catch {
      stat = undefined;
    }
    if (!stat) continue;
    if (stat.isDirectory()) walk(full, root, out);
    else if (stat.isFile()) out.push(relative(root, full).split(sep).join('/'));
  }
}

/** Files under `root` matching any of the globs, as paths relative to root, sorted, unique. */
export function findFiles(root: string, globs: readonly string[]): string[] {
  const patterns = globs.map((g) => globToRegExp(g.replace(/^\.\//, '')));
  const all: string[] = [];
  walk(root, root, all);
  return [...new Set(all.filter((file) => patterns.some((p) => p.test(file))))].sort();
}

export const YAML_FILE = /\.ya?ml$/;

/** All YAML files in a directory tree, relative to `cwd`-less root, sorted. */
export function findYamlFiles(dir: string): string[] {
  const all: string[] = [];
  walk(dir, dir, all);
  return all.filter((f) => YAML_FILE.test(f)).sort();
}
