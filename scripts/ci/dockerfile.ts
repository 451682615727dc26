/**
 * Just enough of the Dockerfile format to replay ferry's Dockerfile outside Docker (CI has no Docker
 * engine) and to lint it: continuation lines, comments, ARG defaults, stages, flags (`--from=`,
 * `--chown=`), exec-form (JSON) and shell-form arguments. Also a .dockerignore matcher.
 */

export interface Instruction {
  keyword: string;
  flags: Record<string, string>;
  /** The arguments after the flags, as written (shell form) … */
  rest: string;
  /** … or as a JSON array (exec form), when they are one. */
  exec?: string[];
  line: number;
}

export interface Stage {
  name: string;
  base: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  args: Record<string, string>;
  stages: Stage[];
}

function expandArgs(text: string, args: Record<string, string>): string {
  return text.replace(
    /\$\{(\w+)\}|\$(\w+)/g,
    (whole, a: string | undefined, b: string | undefined) => args[a ?? b ?? ''] ?? whole,
  );
}

export function parseDockerfile(text: string): Dockerfile {
  const logical: Array<{ text: string; line: number }> = [];
  let current = '';
  let start = 0;
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (current === '' && /^\s*(#.*)?$/.test(line)) return;
    if (current !== '' && /^\s*#/.test(line)) return; // comments inside a continued instruction
    if (current === '') start = index + 1;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      return;
    }
    logical.push({ text: (current + line).trim(), line: start });
    current = '';
  });
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const { text: instruction, line } of logical) {
    const match = /^(\w+)\s*(.*)$/.exec(instruction);
    if (!match) continue;
    const keyword = (match[1] ?? '').toUpperCase();
    let rest = match[2] ?? '';
    const flags: Record<string, string> = {};
    if (keyword !== 'RUN' || rest.startsWith('--')) {
      let flag: RegExpExecArray | null;
      while ((flag = /^--([\w-]+)(?:=(\S*))?\s+/.exec(rest)) !== null) {
        flags[flag[1] ?? ''] = flag[2] ?? 'true';
        rest = rest.slice(flag[0].length);
      }
    }
    if (keyword === 'ARG' && stages.length === 0) {
      const [name, value] = rest.split('=', 2);
      if (name) args[name.trim()] = (value ?? '').trim();
      continue;
    }
    if (keyword === 'FROM') {
      const [base = '', , name] = expandArgs(rest, args).split(/\s+/);
      stages.push({ name: name ?? String(stages.length), base, instructions: [] });
      continue;
    }
    let exec: string[] | undefined;
    if (rest.startsWith('[')) {
      try {
        const parsed: unknown = JSON.parse(rest);
        if (Array.isArray(parsed) && parsed.every((p) => typeof p === 'string')) exec = parsed;
      } catch {
        exec = undefined;
      }
    }
    stages.at(-1)?.instructions.push({ keyword, flags, rest, ...(exec ? { exec } : {}), line });
  }
  return { args, stages };
}

/** HEALTHCHECK's command: the JSON array after `CMD` (options come first). */
export function healthcheckCommand(instruction: Instruction): string[] | undefined {
  const json = /\bCMD\s+(\[.*\])\s*$/.exec(instruction.rest)?.[1];
  if (!json) return undefined;
  const parsed: unknown = JSON.parse(json);
  return Array.isArray(parsed) ? (parsed as string[]) : undefined;
}

/**
 * A stand-in for the hadolint rules that matter here, used when hadolint is not installed: pinned
 * base images, exec-form ENTRYPOINT/CMD, a non-root final user, a HEALTHCHECK, absolute WORKDIRs, COPY
 * rather than ADD, `npm ci` rather than `npm install`.
 */
export function lintDockerfile(file: Dockerfile): string[] {
  const findings: string[] = [];
  for (const stage of file.stages) {
    if (!/:[\w.-]+/.test(stage.base) || /:latest$/.test(stage.base)) {
      findings.push(`stage ${stage.name}: base image "${stage.base}" is not pinned to a tag (DL3006/DL3007)`);
    }
    for (const i of stage.instructions) {
      if (i.keyword === 'ADD') findings.push(`line ${i.line}: use COPY instead of ADD (DL3020)`);
      if (i.keyword === 'WORKDIR' && !i.rest.startsWith('/'))
        findings.push(`line ${i.line}: WORKDIR must be absolute (DL3000)`);
      if (i.keyword === 'RUN' && /\bnpm (i|install)\b/.test(i.rest))
        findings.push(`line ${i.line}: use npm ci (lockfile) instead of npm install`);
      if ((i.keyword === 'ENTRYPOINT' || i.keyword === 'CMD') && !i.exec)
        findings.push(`line ${i.line}: ${i.keyword} in exec (JSON) form (DL3025)`);
    }
  }
  const last = file.stages.at(-1);
  const user = last?.instructions.filter((i) => i.keyword === 'USER').at(-1)?.rest;
  if (!user || user === 'root' || user === '0')
    findings.push('the final stage must end as a non-root USER (DL3002)');
  if (!last?.instructions.some((i) => i.keyword === 'HEALTHCHECK'))
    findings.push('the final stage has no HEALTHCHECK');
  return findings;
}

/** .dockerignore: the last matching pattern decides; `!` re-includes; a pattern matches a path or a parent. */
export function createDockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = (negate ? l.slice(1) : l).replace(/^\/+|\/+$/g, '');
      const source = pattern
        .split('**')
        .map((part) =>
          part
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replace(/\*/g, '[^/]*')
            .replace(/\?/g, '[^/]'),
        )
        .join('.*');
      return { negate, regex: new RegExp(`^${source}(/.*)?$`) };
    });
  return (path) => {
    let ignored = false;
    for (const rule of rules) if (rule.regex.test(path)) ignored = !rule.negate;
    return ignored;
  };
}
