/**
 * Prometheus metrics for `ferry serve` (prom-client, a registry of our own). Names and labels are
 * public once shipped: README "Run as a service" lists them. Labels are pipeline names and fixed
 * words only (never values from data or secrets), so cardinality is the number of pipelines.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RunOutcome } from './run-one.js';
import type { ServeObserver } from './serve-hooks.js';

export interface ServeMetrics extends ServeObserver {
  configLoaded(
    outcome: 'initial' | 'adopted' | 'rejected',
    at: Date,
    info: { revision: string; gitCommit?: string },
  ): void;
  render(): Promise<string>;
  readonly contentType: string;
}

export function createServeMetrics(options: { processMetrics?: boolean } = {}): ServeMetrics {
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const runs = new Counter({
    name: 'ferry_runs_total',
    help: 'Runs finished, by pipeline and outcome (succeeded, no-changes, failed).',
    labelNames: ['pipeline', 'outcome'] as const,
    registers,
  });
  const skipped = new Counter({
    name: 'ferry_runs_skipped_total',
    help: 'Scheduled runs skipped because the previous run of the pipeline was still going.',
    labelNames: ['pipeline', 'reason'] as const,
    registers,
  });
  const running = new Gauge({
    name: 'ferry_runs_in_progress',
    help: 'Runs going on now.',
    labelNames: ['pipeline'] as const,
    registers,
  });
  const rows = (name: string, help: string) =>
    new Counter({ name, help, labelNames: ['pipeline'] as const, registers });
  const rowsRead = rows('ferry_rows_read_total', 'Rows read from sources.');
  const rowsWritten = rows('ferry_rows_written_total', 'Rows written to sinks (files or datasets).');
  const rowsRejected = rows(
    'ferry_rows_rejected_total',
    'Rows rejected (kept aside with file, line and reason).',
  );
  const bytes = new Counter({
    name: 'ferry_bytes_transferred_total',
    help: 'Bytes downloaded from sources and uploaded to sinks.',
    labelNames: ['pipeline', 'direction'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'ferry_run_duration_seconds',
    help: 'Run duration, by pipeline and outcome.',
    labelNames: ['pipeline', 'outcome'] as const,
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200],
    registers,
  });
  const lastSuccess = new Gauge({
    name: 'ferry_last_success_timestamp_seconds',
    help: 'When the last successful run of the pipeline ended (Unix seconds).',
    labelNames: ['pipeline'] as const,
    registers,
  });
  const lockWaits = new Counter({
    name: 'ferry_lock_waits_total',
    help: 'Runs that had to wait: for a pipeline sharing a dataset (dataset), or found a lock held by another process (lock-held).',
    labelNames: ['pipeline', 'reason'] as const,
    registers,
  });
  const reloadOk = new Gauge({
    name: 'ferry_config_reload_success',
    help: '1 if the last configuration load was adopted, 0 if it was rejected (the last good configuration keeps running).',
    registers,
  });
  const reloads = new Counter({
    name: 'ferry_config_reloads_total',
    help: 'Configuration changes seen, by outcome (adopted, rejected).',
    labelNames: ['outcome'] as const,
    registers,
  });
  const reloadTime = new Gauge({
    name: 'ferry_config_last_reload_timestamp_seconds',
    help: 'When the configuration was last loaded or a reload was rejected (Unix seconds).',
    registers,
  });
  const info = new Gauge({
    name: 'ferry_config_info',
    help: 'The configuration running: its revision (SHA-256 of the files) and git commit; always 1.',
    labelNames: ['revision', 'git_commit'] as const,
    registers,
  });

  return {
    contentType: registry.contentType,
    render: () => registry.metrics(),
    runStarted: (pipeline) => running.inc({ pipeline }),
    runEnded(pipeline, outcome: RunOutcome, durationMs, finishedAt) {
      running.dec({ pipeline });
      runs.inc({ pipeline, outcome: outcome.status });
      duration.observe({ pipeline, outcome: outcome.status }, durationMs / 1000);
      rowsRead.inc({ pipeline }, outcome.counts['rowsRead'] ?? 0);
      rowsWritten.inc({ pipeline }, outcome.counts['rowsWritten'] ?? 0);
      rowsRejected.inc({ pipeline }, outcome.counts['rowsRejected'] ?? 0);
      bytes.inc({ pipeline, direction: 'download' }, outcome.bytesRead);
      bytes.inc({ pipeline, direction: 'upload' }, outcome.bytesWritten);
      if (outcome.status !== 'failed') lastSuccess.set({ pipeline }, finishedAt.getTime() / 1000);
    },
    runSkipped: (pipeline, reason) => skipped.inc({ pipeline, reason }),
    runWaited: (pipeline, reason) => lockWaits.inc({ pipeline, reason }),
    previousSuccess: (pipeline, finishedAt) => lastSuccess.set({ pipeline }, finishedAt.getTime() / 1000),
    configLoaded(outcome, at, config) {
      reloadTime.set(at.getTime() / 1000);
      reloadOk.set(outcome === 'rejected' ? 0 : 1);
      if (outcome !== 'initial') reloads.inc({ outcome });
      if (outcome !== 'rejected') {
        info.reset();
        info.set({ revision: config.revision, git_commit: config.gitCommit ?? '' }, 1);
      }
    },
  };
}
