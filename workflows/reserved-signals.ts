// A workflow interceptor module (not a workflow): the worker loads it into every workflow
// it runs (WORKFLOW_INTERCEPTOR_MODULES in workers/workflow-bundle.ts). It drops a signal
// whose name starts with `__temporal_` before the SDK sees it. The runbook refuses a
// signal of any other unknown name through a default signal handler (gates.ts); with one
// set, SDK 1.24 fails the workflow task on a `__temporal_…` signal that has no handler of
// its own (internals.ts, signalWorkflow), again on every retry: anyone who can signal the
// workflow could stop the migration. No mailshift workflow registers such a signal (the
// SDK's contrib packages would; none is used). What is dropped depends only on the
// activation, which comes from history: replay drops the same signals.
import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { SampledWarnings } from './sampled-warnings';
import { clip, NAME_MAX_CHARS } from './text-bounds';

/**
 * The SDK's reserved prefix (TEMPORAL_RESERVED_PREFIX in @temporalio/common's reserved.ts,
 * which its package index does not export).
 */
export const TEMPORAL_RESERVED_PREFIX = '__temporal_';

export const interceptors: WorkflowInterceptorsFactory = () => {
  const dropped = new SampledWarnings('droppedSoFar');
  return {
    internals: [
      {
        activate(input, next) {
          const jobs = input.activation.jobs ?? [];
          const reserved = (job: (typeof jobs)[number]) => !!job.signalWorkflow?.signalName?.startsWith(TEMPORAL_RESERVED_PREFIX);
          if (!jobs.some(reserved)) return next(input);
          for (const job of jobs.filter(reserved)) {
            // Clipped: the name comes from anyone who can signal the workflow.
            dropped.warn('dropped a signal of a reserved name', { signal: clip(job.signalWorkflow?.signalName ?? '', NAME_MAX_CHARS) });
          }
          // The job objects themselves are kept (the SDK reads their `variant`); only the list is new.
          return next({ ...input, activation: { ...input.activation, jobs: jobs.filter((job) => !reserved(job)) } });
        },
      },
    ],
  };
};
