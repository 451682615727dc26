/** One step of a run, by kind. The switch is exhaustive: a new step kind does not compile until it is handled here. */
import type { Step } from '../plan/plan-model.js';
import { executeCheckSchemaStep } from './check-schema-step.js';
import { executeCheckStep } from './check-step.js';
import { executeDiffStep } from './diff-step.js';
import { executeFetchStep } from './fetch-step.js';
import { executeLoadStep } from './load-step.js';
import { executeMapStep } from './map-step.js';
import { executeMergeDatasetStep } from './merge-dataset-step.js';
import { executeReadDatasetStep } from './read-dataset-step.js';
import type { StepContext } from './step-context.js';
import { executeUploadStep } from './upload-step.js';
import { executeWriteFilesStep } from './write-files-step.js';

function assertNever(value: never): never {
  throw new Error(`Unhandled step kind: ${JSON.stringify(value)}`);
}

export async function executeStep(
  context: StepContext,
  step: Step,
  hooks: { commitState: () => Promise<void> },
): Promise<void> {
  switch (step.kind) {
    case 'fetch':
      return executeFetchStep(context, step);
    case 'load':
      return executeLoadStep(context, step);
    case 'read-dataset':
      if (!context.datasets) throw new Error('read-dataset needs a dataset context');
      return executeReadDatasetStep(context, context.datasets, step.table);
    case 'merge-dataset':
      return executeMergeDatasetStep(context, step);
    case 'check-schema':
      return executeCheckSchemaStep(context);
    case 'map':
      return executeMapStep(context, step);
    case 'check':
      return executeCheckStep(context, step);
    case 'diff':
      return executeDiffStep(context, step);
    case 'write-files':
      return executeWriteFilesStep(context, step);
    case 'upload':
      return executeUploadStep(context, step);
    case 'commit-state':
      return hooks.commitState();
    default:
      return assertNever(step);
  }
}
