/**
 * GitOps reload: polls the configuration files (a git-sync sidecar swaps the checkout under us;
 * polling also sees a swapped symlink, which fs.watch does not) and, once a change has settled
 * (the same files on two polls in a row), loads it with the same loader as every command. A valid
 * configuration is handed over (the loop adopts it between runs); an invalid one is logged problem
 * by problem with file:line:col and reported in /status, /readyz and the metrics, while the last
 * good configuration keeps running.
 */
import type { Problem } from '../errors/problem.js';
import type { Logger } from '../log/create-logger.js';
import type { LoadedServeConfig } from './load-serve-config.js';
import type { ServeConfig } from './run-one.js';
import type { ServeClock } from './serve-clock.js';

export interface ReloadStatus {
  status: 'ok' | 'invalid';
  /** The revision running (the last good configuration). */
  revision: string;
  gitCommit?: string;
  loadedAt: string;
  /** The last reload attempt: when, which revision, and its problems if it was rejected. */
  lastAttempt?: { at: string; revision: string; outcome: 'adopted' | 'rejected'; problems: ProblemLine[] };
}

export interface ProblemLine {
  code: string;
  message: string;
  /** file:line:col */
  at?: string;
}

export interface ConfigWatcherOptions {
  clock: ServeClock;
  intervalMs: number;
  logger: Logger;
  /** The fingerprint of the configuration files on disk now. */
  readDiskFingerprint: () => string;
  load: () => Promise<LoadedServeConfig>;
  adopt: (config: ServeConfig) => Promise<void>;
  /** The configuration serve started with, and the disk fingerprint it was read from. */
  initial: { config: ServeConfig; diskFingerprint: string };
  onResult?: (outcome: 'adopted' | 'rejected', at: Date) => void;
}

export interface ConfigWatcher {
  start(): void;
  stop(): void;
  /** One poll (the timer calls it; tests call it directly). */
  poll(): Promise<void>;
  status(): ReloadStatus;
}

export function createConfigWatcher(options: ConfigWatcherOptions): ConfigWatcher {
  const { clock, logger } = options;
  let timer: unknown;
  let stopped = true;
  let polling = false;
  let lastSeen = options.initial.diskFingerprint;
  let lastHandled = options.initial.diskFingerprint;
  let status: ReloadStatus = describe(options.initial.config);

  function describe(config: ServeConfig): ReloadStatus {
    return {
      status: 'ok',
      revision: config.revision,
      ...(config.gitCommit ? { gitCommit: config.gitCommit } : {}),
      loadedAt: config.loadedAt.toISOString(),
    };
  }

  async function poll(): Promise<void> {
    if (polling) return;
    polling = true;
    try {
      const disk = options.readDiskFingerprint();
      const settled = disk === lastSeen;
      lastSeen = disk;
      if (!settled || disk === lastHandled) return;
      lastHandled = disk;
      await reload();
    } catch (error) {
      logger.error(
        { event: 'config-reload-failed', code: 'INTERNAL' },
        `configuration reload failed: ${String(error)}`,
      );
    } finally {
      polling = false;
    }
  }

  async function reload(): Promise<void> {
    const at = clock.now();
    const loaded = await options.load();
    if (loaded.ok) {
      await options.adopt(loaded.config);
      status = {
        ...describe(loaded.config),
        lastAttempt: {
          at: at.toISOString(),
          revision: loaded.config.revision,
          outcome: 'adopted',
          problems: [],
        },
      };
      logger.info(
        {
          event: 'config-reloaded',
          configRevision: loaded.config.revision,
          ...(loaded.config.gitCommit ? { gitCommit: loaded.config.gitCommit } : {}),
        },
        `configuration ${loaded.config.revision}${loaded.config.gitCommit ? ` (git ${loaded.config.gitCommit.slice(0, 12)})` : ''} adopted`,
      );
      options.onResult?.('adopted', at);
      return;
    }
    const problems = loaded.problems.map(toProblemLine);
    for (const p of problems)
      logger.error(
        { event: 'config-problem', code: p.code, at: p.at, configRevision: loaded.revision },
        p.message,
      );
    logger.error(
      {
        event: 'config-rejected',
        code: 'SERVE_CONFIG_INVALID',
        configRevision: loaded.revision,
        problems: problems.length,
      },
      `the changed configuration has ${problems.length} problem(s); still running ${status.revision}`,
    );
    status = {
      ...status,
      status: 'invalid',
      lastAttempt: { at: at.toISOString(), revision: loaded.revision, outcome: 'rejected', problems },
    };
    options.onResult?.('rejected', at);
  }

  function schedule(): void {
    if (stopped) return;
    timer = clock.setTimeout(() => {
      void poll().finally(schedule);
    }, options.intervalMs);
  }

  return {
    start() {
      if (options.intervalMs <= 0 || !stopped) return;
      stopped = false;
      schedule();
    },
    stop() {
      stopped = true;
      clock.clearTimeout(timer);
    },
    poll,
    status: () => status,
  };
}

export function toProblemLine(problem: Problem): ProblemLine {
  return {
    code: problem.code,
    message: problem.message,
    ...(problem.at ? { at: `${problem.at.file}:${problem.at.line}:${problem.at.col}` } : {}),
  };
}
