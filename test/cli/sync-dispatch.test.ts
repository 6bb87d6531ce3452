// `mailshift sync …` hands its arguments to the sync engine's CLI (scripts/cli/sync.ts),
// loaded only when asked for; here a stand-in records the call.
const syncCommand = jest.fn(async (argv: string[], io?: { out: (t: string) => void }) => {
  io?.out(`sync ${argv.join(' ')}`);
  return argv.includes('--fail') ? 1 : 0;
});
jest.mock('../../scripts/cli/sync', () => ({ syncCommand }), { virtual: true });

import { cli } from './capture';

it('dispatches mailshift sync to syncCommand(argv) and returns its exit code', async () => {
  const run = cli();
  const r = await run('sync', '--dry-run', '--host1', 'a');
  expect([r.code, r.stdout]).toEqual([0, 'sync --dry-run --host1 a']);
  expect(syncCommand).toHaveBeenLastCalledWith(['--dry-run', '--host1', 'a'], expect.objectContaining({ out: expect.any(Function) }));
  expect((await run('sync', '--fail')).code).toBe(1);
});
