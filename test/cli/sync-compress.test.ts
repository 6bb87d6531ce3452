// COMPRESS=DEFLATE is asked for only when told: `mailshift sync --compress`, or a spec's
// sync.compress for the migration's syncs. A spec without it asks exactly what it asked before.
import { requestFromArgs } from '../../scripts/cli/sync-args';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { syncRequest } from '../../workflows/requests';
import { parseSpec, type ListedSpecInput } from '../../workflows/spec';

const pair = ['--host1', 'old.example', '--user1', 'a', '--password1-ref', 'env:A', '--host2', 'new.example', '--user2', 'a', '--password2-ref', 'env:B'];
const perms = { deleteOnDestination: false, deleteOnSource: false };
const now = new Date('2026-11-23T12:00:00Z');

it('--compress asks for it; without it the request has no compress', () => {
  expect(requestFromArgs([...pair, '--compress']).request.tuning).toEqual({ compress: true });
  expect(requestFromArgs(pair).request.tuning).toEqual({});
});

it("a spec's sync.compress reaches every sync request; without it none is asked for", () => {
  const input = demoSpec('classical', new Date('2026-12-05T21:00:00Z')) as ListedSpecInput;
  const plain = parseSpec(input, now);
  expect(syncRequest(plain, plain.mailboxes[0], 'presync', perms).tuning).toEqual({ parallelFolders: 2 });
  const compressed = parseSpec({ ...input, sync: { ...input.sync, compress: true } } as ListedSpecInput, now);
  expect(syncRequest(compressed, compressed.mailboxes[0], 'postsync', perms).tuning).toEqual({ parallelFolders: 2, compress: true });
});
