/**
 * What a run tells while it goes: one event when it starts, one per step, one per warning, one when
 * it ends. Loggers (engine/log) and the service (engine/serve) consume them. Events carry names,
 * codes, counts and durations only — never configuration values — so they cannot leak a secret.
 */
export type RunEvent =
  | { type: 'run-start'; pipeline: string; runId: string; mode: 'plan' | 'apply'; at: string }
  | { type: 'step-end'; pipeline: string; runId: string; step: string; durationMs: number; rows?: number }
  | { type: 'warning'; pipeline: string; runId: string; code: string; message: string }
  | {
      type: 'run-end';
      pipeline: string;
      runId: string;
      status: 'succeeded' | 'failed' | 'no-changes';
      durationMs: number;
      counts?: Record<string, number>;
      error?: { code: string; message: string };
    };

export type RunEventListener = (event: RunEvent) => void;
