// SPDX-License-Identifier: ISC
// Type-checks a Grafana dashboard (JSON) against Grafana's own types from
// @grafana/schema, with the TypeScript compiler:
//
//   node check-dashboard.mjs DASHBOARD.json WORKDIR
//
// The JSON becomes object literals in WORKDIR/dashboard-check.ts: the
// whole as a Dashboard, and each panel's options, custom field config
// and queries as the types of its panel plugin (timeseries.Options, ...).
// Object literals get TypeScript's excess property checks, so a
// misspelt or unknown key fails as well as a wrong type or a missing
// required option.  Grafana's enums are string enums, which JSON cannot
// name; Plain<T> below accepts their values instead.  A query is a
// DataQuery with Prometheus's fields (expr, legendFormat, instant, range,
// format), which @grafana/schema does not define.
//
// Exit 0 and "ok" when it checks; 1 with tsc's messages when not; 2 on
// bad usage or a missing installation (run npm ci in this directory).

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

function fail(code, message) {
  process.stderr.write(message + '\n');
  process.exit(code);
}

if (process.argv.length !== 4) {
  fail(2, 'usage: node check-dashboard.mjs DASHBOARD.json WORKDIR');
}
const [dashboardFile, workdir] = process.argv.slice(2);

let ts;
let schemaDir;
try {
  ts = require('typescript');
  schemaDir = path.dirname(require.resolve('@grafana/schema/package.json'));
} catch (err) {
  fail(2, `check-dashboard: ${err.message}\n` +
    `Install the pinned packages first: npm ci --prefix ${here}`);
}
const typesDir = path.join(schemaDir, 'dist', 'types');
const version = JSON.parse(
  fs.readFileSync(path.join(schemaDir, 'package.json'), 'utf8')).version;

const dashboard = JSON.parse(fs.readFileSync(dashboardFile, 'utf8'));

// Panel plugins whose types @grafana/schema carries, by panel type.
function pluginTypes(type) {
  const file = path.join(typesDir, 'raw', 'composable', type, 'panelcfg',
    'x', 'types.gen.d.ts');
  if (!/^[a-z0-9]+$/.test(type) || !fs.existsSync(file)) {
    return null;
  }
  const text = fs.readFileSync(file, 'utf8');
  return {
    module: file.replace(/\.d\.ts$/, ''),
    options: /export interface Options\b/.test(text),
    fieldConfig: /export interface FieldConfig\b/.test(text),
  };
}

const lines = [];
const imports = new Map();
const problems = [];
const literal = (value) => JSON.stringify(value, null, 2);

lines.push(
  `import type { Dashboard, DataQuery } from ${literal(path.join(typesDir, 'index'))};`,
  '',
  '// Grafana\'s string enums as the strings JSON holds.',
  'type Plain<T> =',
  '  T extends string ? `${T}` :',
  '  T extends number | boolean | null | undefined ? T :',
  '  T extends ReadonlyArray<infer U> ? Array<Plain<U>> :',
  '  T extends object ? { [K in keyof T]: Plain<T[K]> } :',
  '  T;',
  '',
  'type PromQuery = DataQuery & {',
  '  expr: string;',
  '  legendFormat?: string;',
  '  instant?: boolean;',
  '  range?: boolean;',
  '  format?: "time_series" | "table" | "heatmap";',
  '  interval?: string;',
  '};',
  '',
  `export const dashboard: Plain<Dashboard> = ${literal(dashboard)};`,
  '');

function allPanels(list) {
  const out = [];
  for (const panel of list || []) {
    out.push(panel);
    if (panel.type === 'row') {
      out.push(...allPanels(panel.panels));
    }
  }
  return out;
}

let checked = 0;
for (const panel of allPanels(dashboard.panels)) {
  if (panel.type === 'row') {
    continue;
  }
  const where = `panel ${panel.id} (${panel.title})`;
  const plugin = pluginTypes(panel.type);
  if (!plugin) {
    problems.push(`${where}: no types for panel type ${panel.type} in ` +
      `@grafana/schema ${version}`);
    continue;
  }
  const alias = `plugin_${panel.type}`;
  imports.set(alias, plugin.module);
  const name = `panel${panel.id}`;
  if (plugin.options) {
    lines.push(`export const ${name}Options: Plain<${alias}.Options> = ` +
      `${literal(panel.options ?? {})};`);
  }
  const custom = panel.fieldConfig?.defaults?.custom;
  if (custom !== undefined) {
    if (!plugin.fieldConfig) {
      problems.push(`${where}: custom field config, which ${panel.type} ` +
        'has none of');
    } else {
      lines.push(`export const ${name}Custom: ` +
        `Plain<${alias}.FieldConfig> = ${literal(custom)};`);
    }
  }
  lines.push(`export const ${name}Targets: Plain<PromQuery>[] = ` +
    `${literal(panel.targets ?? [])};`, '');
  checked += 1;
}
for (const [alias, module] of imports) {
  lines.unshift(`import type * as ${alias} from ${literal(module)};`);
}

fs.mkdirSync(workdir, { recursive: true });
const source = path.join(workdir, 'dashboard-check.ts');
fs.writeFileSync(source, lines.join('\n') + '\n');

const program = ts.createProgram([source], {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Node10,
  skipLibCheck: true,
  types: [],
});
const diagnostics = ts.getPreEmitDiagnostics(program);
for (const d of diagnostics) {
  let at = '';
  if (d.file) {
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    const text = d.file.text.split('\n')[line].trim();
    at = `${path.basename(d.file.fileName)}:${line + 1}:${character + 1}: ` +
      `(${text}) `;
  }
  problems.push(at + ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}
if (problems.length) {
  fail(1, problems.join('\n'));
}
process.stdout.write(`ok: ${dashboard.title}: the dashboard and ${checked} ` +
  `panels check against @grafana/schema ${version} ` +
  `(TypeScript ${ts.version})\n`);
