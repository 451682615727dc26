/**
 * The pull-request workflow's own commands, read from the template ferry init writes, run in a
 * temporary git repository with two commits (main, and a change on a branch) and an `origin` to
 * fetch the base from: validate --format github, plan --offline --base origin/main --format
 * markdown, the marker (hash and commit), and the comment script against a stand-in for GitHub's
 * API. GitHub itself is not tested. Also: docs/github-actions.md shows the template word for word.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLAN_COMMENT_MARKER, renderGithubWorkflow } from '../../engine/scaffold/github-workflow.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'ferry.js');

interface Step {
  id?: string;
  name?: string;
  run?: string;
  uses?: string;
  with?: { script?: string };
}

const workflow = parse(renderGithubWorkflow()) as { jobs: { review: { steps: Step[] } } };
const steps = workflow.jobs.review.steps;
const runOf = (id: string): string => {
  const script = steps.find((s) => s.id === id)?.run;
  if (script === undefined) throw new Error(`the workflow has no step ${id} with a run script`);
  return script;
};
const commentScript = steps.find((s) => s.uses?.startsWith('actions/github-script@'))?.with?.script ?? '';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function exec(
  file: string,
  args: readonly string[],
  cwd: string,
  env: Record<string, string>,
): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      file,
      [...args],
      { cwd, env: { PATH: process.env['PATH'] ?? '', ...env } },
      (error, stdout, stderr) => {
        resolve({
          code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
          stdout,
          stderr,
        });
      },
    );
  });
}

let dir: string;
let work: string;
let headSha: string;
let outputFile: string;

/** A step's script as the runner runs it: bash -e, in the checkout, with the step's variables. */
function runStep(id: string, env: Record<string, string> = {}): Promise<Result> {
  return exec('bash', ['-e', '-c', runOf(id)], work, {
    FERRY: `${process.execPath} ${BIN}`,
    NO_COLOR: '1',
    GITHUB_OUTPUT: outputFile,
    ...env,
  });
}

function git(args: string[], cwd = work): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-workflow-'));
  work = join(dir, 'work');
  outputFile = join(dir, 'github-output');
  git(['init', '-q', '--bare', '-b', 'main', join(dir, 'origin.git')], dir);
  git(['init', '-q', '-b', 'main', work], dir);
  git(['config', 'user.email', 'ci@example.com']);
  git(['config', 'user.name', 'CI']);
  git(['remote', 'add', 'origin', join(dir, 'origin.git')]);
  // Commit 1 (main): a project made by ferry init --demo.
  const init = await exec(process.execPath, [BIN, 'init', '--demo', '.'], work, {});
  expect(init.code, init.stderr).toBe(0);
  git(['add', '-A']);
  git(['commit', '-q', '-m', 'A ferry project']);
  git(['push', '-q', 'origin', 'main']);
  // Commit 2 (a branch): one pipeline changed, one added.
  git(['checkout', '-q', '-b', 'more-rejects']);
  const accounts = join(work, 'pipelines', 'accounts.yaml');
  await writeFile(accounts, (await readFile(accounts, 'utf8')).replace('max_rejects: 10', 'max_rejects: 25'));
  const activity = await readFile(join(work, 'pipelines', 'activity.yaml'), 'utf8');
  await writeFile(
    join(work, 'pipelines', 'activity-copy.yaml'),
    activity.replace('name: activity', 'name: activity-copy').replace('my-first-project/activity/', 'copy/'),
  );
  git(['add', '-A']);
  git(['commit', '-q', '-m', 'Allow more rejects; copy activity']);
  headSha = git(['rev-parse', 'HEAD']);
  // The runner starts from a fresh clone of the branch: origin/main is only there after the fetch.
  git(['update-ref', '-d', 'refs/remotes/origin/main']);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The comment script with a stand-in for github-script's `github` and `context`; returns the API calls. */
async function runCommentScript(existing: Array<{ id: number; body: string }>, planHash: string) {
  const calls: Array<{ method: string; params: Record<string, unknown> }> = [];
  const github = {
    paginate: (_method: unknown, params: Record<string, unknown>) => {
      calls.push({ method: 'listComments', params });
      return Promise.resolve(existing);
    },
    rest: {
      issues: {
        listComments: () => undefined,
        createComment: (params: Record<string, unknown>) =>
          void calls.push({ method: 'createComment', params }),
        updateComment: (params: Record<string, unknown>) =>
          void calls.push({ method: 'updateComment', params }),
      },
    },
  };
  const context = { repo: { owner: 'acme', repo: 'pipelines' }, issue: { number: 42 } };
  // The runner's working directory is the checkout.
  const fs = { readFileSync: (path: string, encoding: 'utf8') => readFileSync(join(work, path), encoding) };
  // github-script runs the script as the body of an async function.
  const AsyncFunction = Object.getPrototypeOf(async function () {
    await Promise.resolve();
  }).constructor as new (...args: string[]) => (...args: unknown[]) => Promise<void>;
  const script = new AsyncFunction('github', 'context', 'require', 'process', commentScript);
  await script(github, context, (name: string) => (name === 'fs' ? fs : undefined), {
    env: { PLAN_HASH: planHash },
  });
  return calls.filter((c) => c.method !== 'listComments');
}

describe('the pull-request workflow, step by step', () => {
  it('validates with annotations: none for a valid change', async () => {
    const run = await runStep('validate');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('');
  });

  it('plans the configuration changes against origin/main, then marks the comment', async () => {
    const plan = await runStep('offline-plan', { BASE_REF: 'main' });
    expect(plan.code, plan.stderr).toBe(0);
    const markdown = await readFile(join(work, 'ferry-plan.md'), 'utf8');
    expect(markdown).toContain('against git ref origin/main');
    expect(markdown).toContain('| `accounts` | changed | 1 |');
    expect(markdown).toContain('| `activity-copy` | added | 0 |');
    expect(markdown).toContain('+ source.format.maxRejects.value: 25');

    const marker = await runStep('marker', { HEAD_SHA: headSha });
    expect(marker.code, marker.stderr).toBe(0);
    const hash = createHash('sha256').update(markdown).digest('hex');
    const comment = await readFile(join(work, 'ferry-comment.md'), 'utf8');
    expect(comment).toBe(`${PLAN_COMMENT_MARKER}sha256=${hash} commit=${headSha} -->\n${markdown}`);
    expect(await readFile(outputFile, 'utf8')).toBe(`hash=${hash}\n`);

    // The comment: posted once, left alone while the plan is the same, replaced when it changes.
    const first = await runCommentScript([{ id: 1, body: 'LGTM' }], hash);
    expect(first).toEqual([
      {
        method: 'createComment',
        params: { owner: 'acme', repo: 'pipelines', issue_number: 42, body: comment },
      },
    ]);
    expect(
      await runCommentScript(
        [
          { id: 1, body: 'LGTM' },
          { id: 7, body: comment },
        ],
        hash,
      ),
    ).toEqual([]);
    const stale = `${PLAN_COMMENT_MARKER}sha256=${'0'.repeat(64)} commit=abc -->\nold plan`;
    expect(await runCommentScript([{ id: 7, body: stale }], hash)).toEqual([
      { method: 'updateComment', params: { owner: 'acme', repo: 'pipelines', comment_id: 7, body: comment } },
    ]);
  });

  it('annotates an invalid change with file, line and column, and stops (exit 3)', async () => {
    const file = join(work, 'pipelines', 'accounts.yaml');
    const valid = await readFile(file, 'utf8');
    await writeFile(file, valid.replace('pick: newest', 'pick: newset'));
    try {
      const run = await runStep('validate');
      expect(run.code).toBe(3);
      expect(run.stdout).toMatch(/^::error file=pipelines\/accounts\.yaml,line=\d+,col=\d+/m);
      expect(run.stdout).toContain('CONFIG_INVALID_VALUE');
    } finally {
      await writeFile(file, valid);
    }
  });
});

describe('docs/github-actions.md', () => {
  it('shows the workflow ferry init writes, word for word', async () => {
    const doc = await readFile(join(ROOT, 'docs', 'github-actions.md'), 'utf8');
    const block = /## The workflow\n\n```yaml\n([\s\S]*?)```\n/.exec(doc)?.[1];
    expect(block, 'docs/github-actions.md has no ```yaml block under "## The workflow"').toBeDefined();
    expect(block).toBe(renderGithubWorkflow());
  });
});
