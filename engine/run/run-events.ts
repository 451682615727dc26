/**
 * What a run reports while it works, for logs (`ferry apply`, `ferry serve`) and metrics. Events carry
 * names, counts and codes — never configuration values or data — so they cannot leak a secret.
 */
export type RunEvent =
  | { type: 'run-start'; pipeline: string; runId: string; mode: 'plan' | 'apply'; at: string }
  | {
      type: 'step-end';
      pipeline: string;
      runId: string;
      step: string;
      durationMs: number;
      /** Rows the step read (load), passed on (diff) or wrote (merge-dataset). */
      rows?: number;
      /** Objects the step wrote (upload). */
      objects?: number;
    }
  | { type: 'warning'; pipeline: string; runId: string; code: string; message: string }
  | {
      type: 'notification';
      pipeline: string;
      runId: string;
      /** failure, success or stale */
      event: string;
      /** The target's name in ferry.yaml `notifications` (never its URL or address). */
      target: string;
      ok: boolean;
      attempts: number;
      error?: { code: string; message: string };
    }
  | {
      type: 'run-end';
      pipeline: string;
      runId: string;
      status: 'succeeded' | 'failed' | 'no-changes';
      durationMs: number;
      counts?: Record<string, number>;
      error?: { code: string; message: string };
    };
