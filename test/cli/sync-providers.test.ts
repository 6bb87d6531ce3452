// `mailshift sync --provider1/--provider2`: the same presets a migration spec's
// host1.provider/host2.provider bring, merged with the command line's own folder options.
import { requestFromArgs } from '../../scripts/cli/sync-args';
import { presetFolderRules } from '../../workflows/preset-rules';
import { PROVIDER_PRESETS } from '../../workflows/provider-presets';

const pair = ['--host1', 'old.example', '--user1', 'a', '--password1-ref', 'env:A', '--host2', 'new.example', '--user2', 'a', '--password2-ref', 'env:B'];

it('without providers the request is what it was: no folder rules unless asked, no size limit', () => {
  const { request } = requestFromArgs(pair);
  expect(request.folders).toBeUndefined();
  expect(request.maxSizeBytes).toBeUndefined();
  expect(requestFromArgs([...pair, '--exclude', '^Junk$']).request.folders).toEqual({ exclude: ['^Junk$'] });
});

it("--provider1 gmail --provider2 microsoft365: the presets' folder rules and host2's size limit; --exclude and --maxsize still apply", () => {
  const { request } = requestFromArgs([...pair, '--provider1', 'gmail', '--provider2', 'microsoft365', '--exclude', '^Old$']);
  expect(request.folders).toEqual(presetFolderRules({ include: [], exclude: ['^Old$'], rename: {} }, 'gmail', 'microsoft365'));
  expect(request.maxSizeBytes).toBe(PROVIDER_PRESETS.microsoft365.limits.maxMessageBytes);
  expect(requestFromArgs([...pair, '--provider2', 'gmail', '--maxsize', '1000']).request.maxSizeBytes).toBe(1000);
});

it('an unknown provider is a usage error naming the choices', () => {
  expect(() => requestFromArgs([...pair, '--provider1', 'yahoo'])).toThrow(/--provider1 must be one of generic, dovecot, gmail, microsoft365/);
});
