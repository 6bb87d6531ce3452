// The verdicts and the closing table of npm run bench:sync (scripts/bench/report.ts), and
// the quantile its per-mailbox figure is the median of.
import { judge, Report } from '../../scripts/bench/report';
import { quantile } from '../../scripts/bench/measure';

test('a figure passes only on the right side of its target; nothing measured is n/a', () => {
  expect(judge(1.25, '≤', 1.25)).toBe('PASS');
  expect(judge(1.26, '≤', 1.25)).toBe('MISS');
  expect(judge(1, '<', 1)).toBe('MISS');
  expect(judge(0.99, '<', 1)).toBe('PASS');
  expect(judge(9.9, '≥', 10)).toBe('MISS');
  expect(judge(NaN, '≤', 50)).toBe('n/a');
});

test('every figure is printed as it comes, then all of them in one markdown table', () => {
  const lines: string[] = [];
  const report = new Report((l) => lines.push(l));
  report.add({ profile: 'loopback', figure: 'peak RSS', value: '140.0 MB', target: '≤ 150 MB', verdict: 'PASS', peers: 'dsync 61 MB' });
  report.add({ profile: 'wan', figure: 'COMPRESS | first sync', value: 'no option', target: '', peers: '' });
  expect(lines).toEqual(['[loopback] peak RSS: 140.0 MB (target ≤ 150 MB: PASS); dsync 61 MB', '[wan] COMPRESS | first sync: no option']);
  expect(report.table().split('\n')).toEqual([
    '| profile | figure | mailshift | target | verdict | peers, same run |',
    '| --- | --- | --- | --- | --- | --- |',
    '| loopback | peak RSS | 140.0 MB | ≤ 150 MB | PASS | dsync 61 MB |',
    '| wan | COMPRESS \\| first sync | no option | — | — | — |',
  ]);
});

test('quantiles of a handful of timings', () => {
  expect(quantile([30, 10, 20], 0.5)).toBe(20);
  expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBe(10);
  expect(quantile([], 0.5)).toBeNaN();
});
