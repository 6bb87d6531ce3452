/** The task queue mailshift's workers poll and its clients start migrations on. */
export const TASK_QUEUE = 'mailshift';
