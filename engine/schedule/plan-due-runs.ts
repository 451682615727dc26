/**
 * What is due, and when next: the scheduler's decisions as pure functions of a compiled schedule,
 * the previous run's times and "now". The service (engine/serve) keeps one `nextDue` per pipeline
 * and asks these functions when the clock passes it; tests drive them with plain dates.
 *
 * - Catch-up: slots missed while ferry was not running become one run at start (coalesced), or are
 *   skipped with `catch_up: false`. A pipeline that never ran waits for its first slot (clock) or
 *   starts at once (completion: there is no previous run to count from).
 * - Overlap: a slot that comes while the pipeline is still running (or waiting to run) is skipped.
 * - Late timers (a suspended host, a busy event loop): every slot already passed is coalesced into
 *   the one run that starts now.
 */
import { listSlots, MAX_COUNTED_SLOTS, type CompiledSchedule } from './compile-schedule.js';

export interface PreviousRun {
  startedAt: Date;
  finishedAt: Date;
}

export interface FirstDue {
  /** When the pipeline should start; undefined when the expression never fires again. */
  due: Date | undefined;
  /** Slots missed since the previous run (capped); run once at `due` = now when catching up. */
  missed: Date[];
  catchUp: boolean;
}

/** The first start after ferry (or this pipeline's configuration) comes up. */
export function planFirstDue(
  schedule: CompiledSchedule,
  options: { previous: PreviousRun | undefined; now: Date; catchUp: boolean },
): FirstDue {
  const { previous, now } = options;
  if (schedule.anchor === 'completion') {
    if (!previous) return { due: now, missed: [], catchUp: false };
    const everyMs = schedule.everyMs ?? 1;
    const from = previous.finishedAt.getTime();
    const elapsed = now.getTime() - from;
    if (elapsed < everyMs) return { due: new Date(from + everyMs), missed: [], catchUp: false };
    const passed = Math.floor(elapsed / everyMs);
    const missed = Array.from(
      { length: Math.min(passed, MAX_COUNTED_SLOTS) },
      (_, i) => new Date(from + (i + 1) * everyMs),
    );
    if (options.catchUp) return { due: now, missed, catchUp: true };
    return { due: new Date(from + (passed + 1) * everyMs), missed, catchUp: false };
  }
  if (!previous) return { due: schedule.nextSlot(now), missed: [], catchUp: false };
  const missed = listSlots(schedule, previous.startedAt, now);
  if (missed.length > 0 && options.catchUp) return { due: now, missed, catchUp: true };
  return { due: schedule.nextSlot(now), missed, catchUp: false };
}

export interface DueInput {
  name: string;
  schedule: CompiledSchedule;
  nextDue: Date | undefined;
  /** Running, or queued to run. */
  busy: boolean;
}

export interface DueAction {
  name: string;
  action: 'start' | 'skip-overlap';
  /** The slot that came due (the oldest of the coalesced ones). */
  slot: Date;
  /** Slots passed by now and covered by this one action (1 unless the timer woke late). */
  slots: number;
  /** The next time to look at this pipeline; undefined: after the run ends (completion anchor). */
  nextDue: Date | undefined;
}

/** The pipelines whose `nextDue` has come, what to do with each, and their next due time. */
export function planDueRuns(pipelines: readonly DueInput[], now: Date): DueAction[] {
  const actions: DueAction[] = [];
  for (const p of pipelines) {
    if (!p.nextDue || p.nextDue.getTime() > now.getTime()) continue;
    const slot = p.nextDue;
    if (p.schedule.anchor === 'completion') {
      // nextDue is only set while idle; a busy one waits for its run to end (planDueAfterRun).
      actions.push({
        name: p.name,
        action: p.busy ? 'skip-overlap' : 'start',
        slot,
        slots: 1,
        nextDue: undefined,
      });
      continue;
    }
    const slots = 1 + listSlots(p.schedule, slot, now).length;
    actions.push({
      name: p.name,
      action: p.busy ? 'skip-overlap' : 'start',
      slot,
      slots,
      nextDue: p.schedule.nextSlot(now),
    });
  }
  return actions;
}

/** After a run ends: completion-anchored schedules count from its end; clock ones keep their slot. */
export function planDueAfterRun(
  schedule: CompiledSchedule,
  options: { finishedAt: Date; nextDue: Date | undefined },
): Date | undefined {
  return schedule.anchor === 'completion' ? schedule.nextSlot(options.finishedAt) : options.nextDue;
}

/** Milliseconds to sleep until the earliest due time, capped so a clock jump is noticed. */
export function msUntilNextDue(dues: ReadonlyArray<Date | undefined>, now: Date, maxSleepMs: number): number {
  let earliest = Infinity;
  for (const due of dues) if (due) earliest = Math.min(earliest, due.getTime());
  return Math.max(0, Math.min(maxSleepMs, earliest - now.getTime()));
}
