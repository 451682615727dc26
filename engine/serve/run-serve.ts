/**
 * `ferry serve` assembled: load the configuration, start the HTTP endpoints, the scheduler loop and
 * the configuration watcher, then wait for the stop signal and drain. Returns how it ended; the CLI
 * maps that to an exit code.
 */
import type { Logger } from '../log/create-logger.js';
import { checkStateBackend } from './check-state-backend.js';
import { fingerprintSources, loadServeConfig, readConfigSources } from './load-serve-config.js';
import { readPreviousRun } from './read-previous-run.js';
import { createProjectRunner, type RunOne } from './run-one.js';
import { systemClock, type ServeClock } from './serve-clock.js';
import type { Notify } from './serve-hooks.js';
import { startServeHttp } from './serve-http.js';
import { createServeLoop } from './serve-loop.js';
import { createServeMetrics } from './serve-metrics.js';
import { createConfigWatcher, toProblemLine } from './watch-config.js';

export interface RunServeOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Relative to cwd. */
  projectFile: string;
  logger: Logger;
  host: string;
  port: number;
  concurrency: number;
  /** How long a drain waits for running runs to stop at their next step. */
  graceMs: number;
  /** How often the configuration files are checked for changes; 0 turns reloading off. */
  reloadIntervalMs: number;
  /** Aborted to stop (SIGTERM, SIGINT); the reason names the signal. */
  signal: AbortSignal;
  clock?: ServeClock;
  runOne?: RunOne;
  notify?: Notify;
}

export type ServeExit = 'drained' | 'grace-expired' | 'invalid-config';

export async function runServe(options: RunServeOptions): Promise<ServeExit> {
  const { logger, cwd, projectFile, env } = options;
  const clock = options.clock ?? systemClock;
  const diskFingerprint = (globs: readonly string[] | undefined) =>
    fingerprintSources(readConfigSources({ cwd, projectFile, pipelineGlobs: globs }));
  const startedAt = clock.now();
  const first = await loadServeConfig({ cwd, env, projectFile, now: startedAt });
  if (!first.ok) {
    for (const p of first.problems.map(toProblemLine))
      logger.error({ event: 'config-problem', code: p.code, at: p.at }, p.message);
    logger.error(
      { event: 'config-invalid', code: 'SERVE_CONFIG_INVALID', problems: first.problems.length },
      `the configuration has ${first.problems.length} problem(s); nothing is scheduled`,
    );
    return 'invalid-config';
  }
  const initialDisk = diskFingerprint(first.config.project.pipelineGlobs);
  for (const p of first.warnings.map(toProblemLine))
    logger.warn({ event: 'config-problem', code: p.code, at: p.at }, p.message);

  const metrics = createServeMetrics();
  metrics.configLoaded('initial', startedAt, first.config);
  const loop = createServeLoop({
    config: first.config,
    runOne: options.runOne ?? createProjectRunner({ env }),
    readPreviousRun,
    clock,
    logger,
    concurrency: options.concurrency,
    observer: metrics,
    ...(options.notify ? { notify: options.notify } : {}),
  });
  const watcher = createConfigWatcher({
    clock,
    intervalMs: options.reloadIntervalMs,
    logger,
    // Globs from the project file on disk are what the loader will use; the running ones are close enough
    // to notice any change (a change of globs changes ferry.yaml itself).
    readDiskFingerprint: () => diskFingerprint(loop.config().project.pipelineGlobs),
    load: () => loadServeConfig({ cwd, env, projectFile, now: clock.now() }),
    adopt: (config) => loop.adopt(config),
    // The files as loaded have the revision's fingerprint; if they differ on disk already, they changed
    // while loading, and the first polls reload them.
    initial: {
      config: first.config,
      diskFingerprint: initialDisk === first.config.revision ? initialDisk : 'changed-while-loading',
    },
    onResult: (outcome, at) => metrics.configLoaded(outcome, at, loop.config()),
  });
  let phase: 'starting' | 'running' | 'draining' = 'starting';
  const http = await startServeHttp({
    host: options.host,
    port: options.port,
    handlers: {
      healthz: () => ({ ok: true, body: { alive: true, phase, config: watcher.status().status } }),
      readyz: async () => {
        const state = await checkStateBackend(loop.config().project.state);
        const config = watcher.status();
        return {
          ok: phase === 'running' && state.ok,
          body: {
            ready: phase === 'running' && state.ok,
            phase,
            state,
            config: { status: config.status, revision: config.revision },
          },
        };
      },
      metrics: async () => ({ contentType: metrics.contentType, body: await metrics.render() }),
      status: () => ({
        phase,
        startedAt: startedAt.toISOString(),
        now: clock.now().toISOString(),
        concurrency: options.concurrency,
        config: watcher.status(),
        pipelines: loop.pipelines(),
      }),
    },
  });
  try {
    logger.info(
      { event: 'listening', host: http.host, port: http.port },
      `listening on http://${http.host}:${http.port} (/healthz /readyz /metrics /status)`,
    );
    if (!options.signal.aborted) {
      await loop.start();
      phase = 'running';
      watcher.start();
      const scheduled = loop.pipelines().length;
      logger.info(
        {
          event: 'serve-started',
          configRevision: first.config.revision,
          ...(first.config.gitCommit ? { gitCommit: first.config.gitCommit } : {}),
          pipelines: scheduled,
          concurrency: options.concurrency,
        },
        `serving ${scheduled} scheduled pipeline(s), configuration ${first.config.revision}`,
      );
      await new Promise<void>((resolve) => {
        if (options.signal.aborted) resolve();
        else options.signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
    phase = 'draining';
    watcher.stop();
    const reason = typeof options.signal.reason === 'string' ? options.signal.reason : 'stop requested';
    const drained = await loop.drain(reason, options.graceMs);
    if (drained.clean)
      logger.info({ event: 'drained' }, 'stopped cleanly: nothing running, nothing half-committed');
    else
      logger.warn(
        { event: 'drain-timeout', code: 'SERVE_DRAIN_TIMEOUT', running: drained.stillRunning },
        `grace period over; still running: ${drained.stillRunning.join(', ')} (each stops at its next step, nothing half-committed)`,
      );
    return drained.clean ? 'drained' : 'grace-expired';
  } finally {
    watcher.stop();
    await http.close();
  }
}
