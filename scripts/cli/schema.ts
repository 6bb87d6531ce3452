// The spec's JSON Schema (from the zod schema in workflows/spec.ts, as an operator writes
// it: defaults may be left out) and the field reference generated from it. `mailshift
// schema` prints the schema; `mailshift schema --write-docs` regenerates
// docs/spec.schema.json and docs/spec.md, which a test keeps equal to this output.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { PAYLOAD_BUDGET_BYTES } from '../../workflows/payload-budget';
import { imapServer, migrationSpec, secretRef } from '../../workflows/spec';
import { EXIT, parse, type CliIo } from './io';

type Schema = {
  type?: string | string[];
  description?: string;
  default?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  oneOf?: Schema[];
  anyOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  additionalProperties?: boolean | Schema;
  [key: string]: unknown;
};

/** The rules beyond the JSON Schema (workflows/spec.ts refinements and parseSpec). */
export const CROSS_FIELD_RULES = [
  'each `mailboxes[].source.user` appears once (case-insensitive), and each destination user once per destination host;',
  'lucky scenario: `dns.imapHost` is given, `host1.syncAddress` and `host2.syncAddress` are given, and `host1.host` equals `host2.host`;',
  '`access.method: dns` needs `dns.imapHost.parkedAddresses`;',
  '`dns.lowTtl` is lower than `dns.restoreTtl`;',
  '`dns.mx.name` and `dns.imapHost.name` are in `dns.zone`;',
  '`sync.include` and `sync.exclude` compile as JavaScript regular expressions; each side of a `sync.rename` rule names a folder, and no rule renames `__proto__`, `constructor` or `prototype`;',
  `the spec, as JSON, stays under ${PAYLOAD_BUDGET_BYTES / 1e6} MB (it is the workflow's input, and Temporal refuses more than 2 MB): split a larger migration into several;`,
  '`schedule.migrationAt` is in the future (checked again by the workflow when it starts).',
];

type Visit = (path: string, s: Schema, required: boolean, variant?: string) => void;

/** Visits every field, depth first: its path (`mailboxes[].source.user`), schema, whether required, and union variant. */
function walk(s: Schema, p: string, visit: Visit, required = true, variant?: string): void {
  if (p) visit(p, s, required, variant);
  children(s, p, visit, variant);
}

function children(s: Schema, p: string, visit: Visit, variant?: string): void {
  const variants = s.oneOf ?? s.anyOf;
  if (variants && variants.every((v) => v.type === 'object')) {
    const key = Object.entries(variants[0].properties ?? {}).find(([, f]) => f.const !== undefined)?.[0];
    if (key) {
      const consts = variants.map((v) => v.properties?.[key]?.const);
      visit(`${p}.${key}`, { enum: consts, description: variants[0].properties?.[key]?.description }, true);
    }
    for (const v of variants) {
      const disc = Object.entries(v.properties ?? {}).find(([, f]) => f.const !== undefined);
      const label = disc ? `${disc[0]}: ${String(disc[1].const)}` : undefined;
      for (const [k, f] of Object.entries(v.properties ?? {})) {
        if (disc && k === disc[0]) continue;
        walk(f, `${p}.${k}`, visit, (v.required ?? []).includes(k), label);
      }
    }
  }
  for (const [k, f] of Object.entries(s.properties ?? {})) walk(f, p ? `${p}.${k}` : k, visit, (s.required ?? []).includes(k), variant);
  if (s.items) children(s.items, `${p}[]`, visit, variant);
}

/** The spec's JSON Schema (input side: fields with defaults are optional), with the field descriptions of workflows/spec.ts. */
export function specJsonSchema(): Schema {
  const schema = z.toJSONSchema(migrationSpec, { io: 'input' }) as Schema;
  return {
    $schema: schema.$schema,
    title: 'mailshift migration spec',
    description:
      'The JSON document that starts a migration (classicalMigration, luckyMigration or mxFirstMigration). Secrets are references: env:NAME or file:/path. ' +
      'Rules across fields are checked by `mailshift validate` and the workflow: ' +
      CROSS_FIELD_RULES.join(' '),
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$schema')),
  };
}

const HOSTNAME_PATTERN = (z.toJSONSchema(imapServer) as Schema).properties!.host.pattern;
const SECRET_PATTERN = (z.toJSONSchema(secretRef) as Schema).pattern;

function typeOf(s: Schema): string {
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.enum) return s.enum.map((e) => `\`${JSON.stringify(e)}\``).join(' \\| ');
  const variants = s.oneOf ?? s.anyOf;
  if (variants) {
    if (variants.every((v) => v.type === 'object')) return 'object, one of the variants below';
    return variants.map(typeOf).join(' or ');
  }
  let t = Array.isArray(s.type) ? s.type.join(' or ') : (s.type ?? 'any');
  if (t === 'array' && s.items) t = `array of ${typeOf(s.items)}`;
  if (t === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object') t = `map of ${typeOf(s.additionalProperties)}`;
  if (s.format === 'email') t = 'email address';
  else if (s.format === 'uri') t = 'URL';
  else if (s.format === 'date-time') t = 'date-time with offset (RFC 3339)';
  else if (s.format === 'ipv4' || s.format === 'ipv6') t = `${s.format} address`;
  else if (s.pattern === SECRET_PATTERN) t = 'secret reference (`env:NAME` or `file:/path`)';
  else if (s.pattern === HOSTNAME_PATTERN) t = 'host name or IP address';
  else if (s.pattern && s.pattern.length <= 40) t += ` matching \`${s.pattern.replace(/\|/g, '\\|')}\``;
  const range: string[] = [];
  if (s.minimum !== undefined) range.push(`≥ ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) range.push(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER) range.push(`≤ ${s.maximum}`);
  if (s.minLength !== undefined && s.minLength > 0) range.push(`length ≥ ${s.minLength}`);
  if (s.maxLength !== undefined) range.push(`length ≤ ${s.maxLength}`);
  if (s.minItems !== undefined && s.minItems > 0) range.push(`at least ${s.minItems}`);
  return range.length ? `${t} (${range.join(', ')})` : t;
}

const mdCell = (s: string) => s.replace(/\n/g, ' ');

/** docs/spec.md: every field with its type, whether required, its default and description. */
export function specMarkdown(schema: Schema = specJsonSchema()): string {
  const rows: string[] = [];
  walk(schema, '', (p, s, req, variant) => {
    const def = s.default !== undefined ? `\`${JSON.stringify(s.default)}\`` : '';
    const field = `\`${p}\`${variant ? ` (${variant.replace(/^(\w+): (.*)$/, '$1 `$2`')})` : ''}`;
    rows.push(
      `| ${field} | ${mdCell(typeOf(s))} | ${req && s.default === undefined ? 'yes' : ''} | ${def} | ${mdCell(s.description ?? '').replace(/\|/g, '\\|')} |`,
    );
  });
  return [
    '# The migration spec: field reference',
    '',
    '<!-- Generated by `mailshift schema --write-docs` from workflows/spec.ts; do not edit by hand. -->',
    '',
    'A migration spec is the one JSON (or YAML, for the CLI) document that starts a migration:',
    'the input of `classicalMigration` / `luckyMigration` / `mxFirstMigration` in the Temporal UI, or the file given to',
    '`mailshift validate` and `mailshift start`. Fields with a default may be left out; no other',
    'field is allowed. Secrets are never written in a spec, only referenced: `env:NAME` (a',
    "variable of the worker's environment) or `file:/absolute/path`. The JSON Schema is",
    '[spec.schema.json](spec.schema.json) (`mailshift schema`).',
    '',
    '| field | type | required | default | description |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    '## Rules across fields',
    '',
    ...CROSS_FIELD_RULES.map((r) => `- ${r}`),
    '',
  ].join('\n');
}

/** The generated documentation files, by path relative to the project root. */
export function docFiles(): Record<string, string> {
  const schema = specJsonSchema();
  return { 'docs/spec.schema.json': `${JSON.stringify(schema, null, 2)}\n`, 'docs/spec.md': specMarkdown(schema) };
}

export const PROJECT_ROOT = path.resolve(__dirname, '../..');

export const schemaHelp = `mailshift schema [--write-docs]

Prints the JSON Schema of the migration spec. With --write-docs, writes
docs/spec.schema.json and docs/spec.md (the field reference) instead.`;

export async function schemaCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parse(argv, { 'write-docs': { type: 'boolean' } }, []);
  if (values.help) {
    io.out(schemaHelp);
    return EXIT.ok;
  }
  if (values['write-docs']) {
    for (const [file, text] of Object.entries(docFiles())) {
      writeFileSync(path.join(PROJECT_ROOT, file), text);
      io.out(`wrote ${file}`);
    }
    return EXIT.ok;
  }
  io.out(JSON.stringify(specJsonSchema(), null, 2));
  return EXIT.ok;
}
