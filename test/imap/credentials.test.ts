// Credential references: env: and file:, nothing else, and no secret in any error.
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { resolveSecret } from '../../activities/credentials';

const dir = mkdtempSync(path.join(tmpdir(), 'mailshift-cred-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function failure(ref: string): Promise<ApplicationFailure> {
  const err = await resolveSecret(ref).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect(err).toMatchObject({ type: 'CredentialUnavailable', nonRetryable: true });
  return err as ApplicationFailure;
}

it('reads env: references', async () => {
  process.env.MAILSHIFT_TEST_CRED = 's3cret with spaces ';
  await expect(resolveSecret('env:MAILSHIFT_TEST_CRED')).resolves.toBe('s3cret with spaces ');
});

it('reads file: references without the trailing newline, keeping inner ones', async () => {
  const file = path.join(dir, 'pw');
  writeFileSync(file, 'line1\nline2\n');
  await expect(resolveSecret(`file:${file}`)).resolves.toBe('line1\nline2');
  writeFileSync(file, 'crlf-secret\r\n');
  await expect(resolveSecret(`file:${file}`)).resolves.toBe('crlf-secret');
});

it('names a missing variable or file, not a value', async () => {
  delete process.env.MAILSHIFT_TEST_MISSING;
  expect((await failure('env:MAILSHIFT_TEST_MISSING')).message).toContain('MAILSHIFT_TEST_MISSING');
  expect((await failure(`file:${dir}/nope`)).message).toContain(`${dir}/nope`);
  writeFileSync(path.join(dir, 'empty'), '\n');
  expect((await failure(`file:${dir}/empty`)).message).toContain('empty');
});

it('refuses other schemes, naming the scheme but not what follows', async () => {
  const err = await failure('vault:secret/data/imap#hunter2');
  expect(err.message).toContain('"vault"');
  expect(err.message).not.toContain('hunter2');
});

it('never echoes a pasted password', async () => {
  for (const pasted of ['Tr0ub4dor&3', 'P@ss:word!', 'correct horse battery staple']) {
    const err = await failure(pasted);
    expect(err.message).not.toContain(pasted);
    expect(err.message).not.toContain(pasted.split(':')[0]);
  }
});
