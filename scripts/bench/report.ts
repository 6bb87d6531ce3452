// bench:sync's verdicts: every figure printed with its target and PASS/MISS as it is
// measured, and at the end one table of them all (markdown, for a closing note).

export type Verdict = 'PASS' | 'MISS' | 'n/a';

/** Whether `value` meets `op limit`; n/a when nothing was measured. */
export function judge(value: number, op: '≤' | '≥' | '<', limit: number): Verdict {
  if (!Number.isFinite(value)) return 'n/a';
  const met = op === '≤' ? value <= limit : op === '<' ? value < limit : value >= limit;
  return met ? 'PASS' : 'MISS';
}

export interface Row {
  /** loopback, wan, huge, … */
  profile: string;
  figure: string;
  /** mailshift's figure, as printed. */
  value: string;
  /** e.g. "≤ 1.25×"; empty for a figure without a target. */
  target: string;
  verdict?: Verdict;
  /** The peers' figures from the same run. */
  peers: string;
}

export class Report {
  readonly rows: Row[] = [];

  constructor(private readonly print: (line: string) => void) {}

  /** Records a figure and prints it at once. */
  add(row: Row): void {
    this.rows.push(row);
    const target = row.target ? ` (target ${row.target}: ${row.verdict ?? 'n/a'})` : '';
    this.print(`[${row.profile}] ${row.figure}: ${row.value}${target}${row.peers ? `; ${row.peers}` : ''}`);
  }

  table(): string {
    const cell = (s: string) => s.replace(/\|/g, '\\|');
    return [
      '| profile | figure | mailshift | target | verdict | peers, same run |',
      '| --- | --- | --- | --- | --- | --- |',
      ...this.rows.map(
        (r) => `| ${[r.profile, r.figure, r.value, r.target || '—', r.target ? (r.verdict ?? 'n/a') : '—', r.peers || '—'].map(cell).join(' | ')} |`,
      ),
    ].join('\n');
  }
}
