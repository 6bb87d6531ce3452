// Memory figures of `npm run bench:scale`'s worker processes, read from /proc (a worker's
// whole process tree is measured: anything it starts counts too).
import { readdirSync, readFileSync } from 'node:fs';

// ---- /proc ------------------------------------------------------------------------------
function parentPids(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      // pid (comm) state ppid …; comm may hold spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(d), ppid);
    } catch {
      // exited meanwhile
    }
  }
  return parents;
}

/** `pid` and every process below it. */
export function processTree(pid: number): number[] {
  const parents = parentPids();
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) for (const [p, pp] of parents) if (pp === tree[i]) tree.push(p);
  return tree.filter((p) => parents.has(p));
}

export interface Memory {
  pid: number;
  name: string;
  /** VmHWM: the peak resident set so far, MB. */
  peakMb: number;
  /** VmRSS: the resident set now, MB. */
  rssMb: number;
}

export function memoryOf(pid: number): Memory | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { pid, name: /^Name:\s+(.*)$/m.exec(status)?.[1] ?? '?', peakMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
  } catch {
    return undefined;
  }
}

/** The largest process of a tree by peak RSS. */
export function largestInTree(pid: number): Memory | undefined {
  const all = processTree(pid).flatMap((p) => memoryOf(p) ?? []);
  return all.sort((a, b) => b.peakMb - a.peakMb)[0];
}
