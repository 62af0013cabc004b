// The extension manifest (package.json) and the client source agree: every contributed command
// is registered, every setting the client reads is contributed (with the server's defaults),
// the engine range admits VS Code 1.100, and the files the manifest points to exist.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import picomatch from 'picomatch';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DOCS_BASE as CLIENT_DOCS_BASE, listRuleDocs, ruleDocFile, ruleOfCode } from '../client/src/docs.js';
import { invalidSettings, SECTION, SERVER_SETTING_KEYS, SETTINGS, settingsObject } from '../client/src/settings.js';
import { DEFAULT_CONFIG } from '../server/src/analysis/config.js';
import { DOCS_BASE as SERVER_DOCS_BASE } from '../server/src/rules/types.js';

const ROOT = join(__dirname, '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const CLIENT_DIR = join(ROOT, 'client/src');
const clientSource = readdirSync(CLIENT_DIR)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => readFileSync(join(CLIENT_DIR, f), 'utf8'))
  .join('\n');
const extensionSource = readFileSync(join(CLIENT_DIR, 'extension.ts'), 'utf8');

const commands: Array<{ command: string; title: string; category?: string }> = pkg.contributes.commands;
const properties: Record<string, { default?: unknown; description?: string; markdownDescription?: string }> =
  pkg.contributes.configuration.properties;

/** Does a `^x.y.z` / `>=x.y.z` / `x.y.z` range admit `version`? (Enough for engines.vscode.) */
function admits(range: string, version: string): boolean {
  const m = /^(\^|>=|~)?\s*(\d+)\.(\d+)\.(\d+)$/.exec(range.trim());
  if (!m) return false;
  const [want, have] = [[m[2], m[3], m[4]].map(Number), version.split('.').map(Number)];
  const cmp = (a: number[], b: number[]) => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!;
  if (cmp(have, want) < 0) return false;
  if (m[1] === '^') return have[0] === want[0];
  if (m[1] === '~') return have[0] === want[0] && have[1] === want[1];
  if (m[1] === '>=') return true;
  return cmp(have, want) === 0;
}

describe('client manifest', () => {
  test('ok: every contributed command is registered by the client, and only those', () => {
    assert.ok(commands.length >= 5, 'contributes.commands is empty');
    for (const c of commands) {
      assert.ok(extensionSource.includes(`registerCommand('${c.command}'`), `${c.command} is not registered in client/src/extension.ts`);
      assert.equal(c.category, 'pg-rls-lint', `${c.command} has no "pg-rls-lint" category`);
      assert.ok(c.title, `${c.command} has no title`);
    }
    const registered = [...extensionSource.matchAll(/registerCommand\('([^']+)'/g)].map((m) => m[1]);
    for (const id of registered) {
      assert.ok(commands.some((c) => c.command === id), `${id} is registered but not in contributes.commands`);
    }
  });

  test('ok: every pgRlsLint.* setting the client reads is contributed, and vice versa', () => {
    const read = new Set(Object.keys(SETTINGS).map((k) => `${SECTION}.${k}`));
    // Literal `pgRlsLint.<key>` strings in the client that are neither commands nor server commands.
    for (const m of clientSource.matchAll(/'(pgRlsLint\.[A-Za-z.]+)'/g)) {
      const id = m[1]!;
      if (commands.some((c) => c.command === id) || id.startsWith('pgRlsLint.server.')) continue;
      read.add(id);
    }
    for (const key of read) assert.ok(properties[key], `${key} is read by the client but not in contributes.configuration`);
    for (const key of Object.keys(properties)) assert.ok(read.has(key), `${key} is contributed but the client never reads it`);
    for (const [key, p] of Object.entries(properties)) {
      assert.ok(p.description || p.markdownDescription, `${key} has no description`);
      assert.ok('default' in p, `${key} has no default`);
    }
  });

  test('ok: contributed defaults are the server defaults and pass the client check', () => {
    for (const key of SERVER_SETTING_KEYS) {
      assert.deepEqual(properties[`${SECTION}.${key}`]?.default, (DEFAULT_CONFIG as unknown as Record<string, unknown>)[key], key);
    }
    const defaults = { get: (k: string) => properties[`${SECTION}.${k}`]?.default };
    assert.deepEqual(invalidSettings(defaults), []);
  });

  test('ok: the client check names exactly the settings of the wrong type', () => {
    const values: Record<string, unknown> = {
      rules: { 'rls-not-forced': 'loud' },
      include: '**/*.sql',
      exposedSchemas: ['public', 'api'],
      definerOwnerBypassesRls: true,
      'trace.server': 'off',
    };
    assert.deepEqual(invalidSettings({ get: (k) => values[k] }), ['pgRlsLint.rules', 'pgRlsLint.include']);
    assert.deepEqual(invalidSettings({ get: () => { throw new Error('boom'); } }).length, Object.keys(SETTINGS).length);
    const sent = settingsObject({ get: (k) => values[k] });
    assert.equal('trace.server' in sent, false, 'trace.server is a client setting');
    assert.deepEqual(sent.exposedSchemas, ['public', 'api']);
  });

  test('ok: engines.vscode admits VS Code 1.100 and @types/vscode is not newer', () => {
    const range: string = pkg.engines.vscode;
    assert.ok(admits(range, '1.100.0'), `engines.vscode ${range} does not admit 1.100.0`);
    const types: string = pkg.devDependencies['@types/vscode'];
    const typesMin = /(\d+\.\d+\.\d+)/.exec(types)?.[1];
    assert.ok(typesMin && admits(range, typesMin), `@types/vscode ${types} is newer than engines.vscode ${range} (vsce refuses)`);
  });

  test('ok: the manifest points to files that exist or are built', () => {
    for (const s of pkg.contributes.snippets) {
      const file = join(ROOT, s.path);
      assert.ok(existsSync(file), `${s.path} is missing`);
      JSON.parse(readFileSync(file, 'utf8'));
    }
    const icon = readFileSync(join(ROOT, pkg.icon));
    assert.equal(icon.subarray(1, 4).toString('ascii'), 'PNG');
    assert.deepEqual([icon.readUInt32BE(16), icon.readUInt32BE(20)], [128, 128], 'icon must be 128x128');
    assert.equal(pkg.main, './dist/extension.js');
    const build = readFileSync(join(ROOT, 'scripts/build.mjs'), 'utf8');
    assert.ok(build.includes("'client/src/extension.ts'") && build.includes("'dist/extension.js'"));
    for (const f of ['LICENSE', 'CHANGELOG.md', 'README.md', '.vscodeignore']) assert.ok(existsSync(join(ROOT, f)), `${f} is missing`);
    assert.ok(pkg.repository?.url, 'vsce needs a repository');
  });

  test('ok: activation and document selection cover .sql, .pgsql and .psql', () => {
    assert.ok(pkg.activationEvents.includes('onLanguage:sql'));
    const sql = pkg.contributes.languages.find((l: { id: string }) => l.id === 'sql');
    for (const ext of ['.sql', '.pgsql', '.psql']) assert.ok(sql.extensions.includes(ext), ext);
    for (const pattern of ['**/*.pgsql', '**/*.psql']) assert.ok(extensionSource.includes(`'${pattern}'`), pattern);
  });

  test("ok: Liquibase changelogs activate the extension and are synced as edited (Spring Boot's, JHipster's), other XML/YAML/JSON not", () => {
    const m = /CHANGELOG_PATTERNS = (\[[^\]]*\])/.exec(extensionSource);
    assert.ok(m, 'extension.ts declares CHANGELOG_PATTERNS');
    const patterns = JSON.parse(m[1]!.replace(/'/g, '"')) as string[];
    for (const p of patterns) assert.ok(pkg.activationEvents.includes(`workspaceContains:${p}`), p);
    const matches = picomatch(patterns);
    for (const f of ['src/main/resources/db/changelog/db.changelog-master.yaml', 'src/main/resources/config/liquibase/master.xml', 'db/changelog/changes/001-init.xml', 'liquibase/changelog.json', 'db/changelog/2024/tables.yml'])
      assert.ok(matches(f), f);
    for (const f of ['package.json', 'tsconfig.json', '.github/workflows/ci.yml', 'docker-compose.yaml', 'pom.xml']) assert.ok(!matches(f), f);
  });
});

describe('client rule documentation', () => {
  test('ok: the client links to the same docs as the server', () => {
    assert.equal(CLIENT_DOCS_BASE, SERVER_DOCS_BASE);
  });

  test('ok: a diagnostic code gives the rule id and link', () => {
    assert.deepEqual(ruleOfCode('rls-not-forced'), { id: 'rls-not-forced' });
    assert.deepEqual(ruleOfCode({ value: 'rls-disabled', target: { toString: () => 'https://x/rls-disabled.md' } }), {
      id: 'rls-disabled',
      url: 'https://x/rls-disabled.md',
    });
    assert.equal(ruleOfCode(undefined), undefined);
  });

  test('ok: rule docs are listed from a folder, and a missing folder lists none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pg-rls-lint-docs-'));
    try {
      writeFileSync(join(dir, 'rls-not-forced.md'), '# rls-not-forced\n\nRLS is enabled but not forced.\n');
      writeFileSync(join(dir, 'notes.txt'), 'not a doc');
      assert.deepEqual(
        listRuleDocs(dir).map((d) => [d.id, d.summary]),
        [['rls-not-forced', 'RLS is enabled but not forced.']],
      );
      assert.ok(ruleDocFile(dir, 'rls-not-forced'));
      assert.equal(ruleDocFile(dir, '../etc/passwd'), undefined);
      assert.deepEqual(listRuleDocs(join(dir, 'missing')), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
