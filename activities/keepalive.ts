// A heartbeat on a timer while an activity works. The server takes a missing heartbeat for
// a dead worker and hands the activity to another one once the heartbeat timeout expires,
// so an activity must heartbeat even while it waits on a single long operation: one
// APPEND of a large message, the FETCH that lists a huge folder, one user's access
// command. Not an activity itself (activities/index.ts does not export it).

/** How often: well inside any heartbeat timeout we set (the syncs': workflows/mailbox-round.ts). */
export const KEEPALIVE_MS = 2_000;

/**
 * Runs `work`, calling `beat` every `everyMs` until it settles. A beat that throws is
 * skipped: a missed beat only risks the timeout heartbeats are there for, while a throw
 * from a timer would take the whole worker down.
 */
export async function keepingAlive<T>(beat: () => void, work: () => Promise<T>, everyMs = KEEPALIVE_MS): Promise<T> {
  const timer = setInterval(() => {
    try {
      beat();
    } catch {
      // see above
    }
  }, everyMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
