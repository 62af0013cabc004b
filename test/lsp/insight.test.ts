// Insight over the protocol: hover (tables, functions, findings), CodeLens, document and
// workspace symbols, definition, references, completion, the RLS matrix command. Every file
// has non-ASCII text (accents, CJK, emoji with surrogate pairs) before the names, so every
// position checks UTF-16 correctness.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { ensureServerBuilt, rangeOf } from './client.js';
import { Doc, has, start } from './helpers.js';
import { INSIGHT_FILES } from '../helpers/insight-fixtures.js';
import { orgLoopFile } from '../helpers/catalog-loop.js';

before(() => ensureServerBuilt());

const TABLES = INSIGHT_FILES['1_tables.sql']!;
const FUNCTIONS = INSIGHT_FILES['2_functions.sql']!;
const POLICIES = INSIGHT_FILES['3_policies.sql']!;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** Range of the n-th occurrence of `name` as a whole word. */
function word(text: string, name: string, n = 0) {
  const re = new RegExp(`(?<![\\w$])${name}(?![\\w$])`, 'gu');
  const m = [...text.matchAll(re)][n];
  assert.ok(m, `${name} #${n}`);
  const r = rangeOf(text.slice(0, m.index) + '\u0000'.repeat(name.length), '\u0000'.repeat(name.length));
  return r;
}

async function session(t: Parameters<typeof start>[0], init?: NonNullable<Parameters<typeof start>[2]>['init']) {
  const s = await start(t, INSIGHT_FILES, { init });
  const request = (method: string, params: Json) => s.client.request(method, params);
  const pos = (name: string, needle: string, n = 0, delta = 1) => {
    const r = rangeOf(INSIGHT_FILES[name]!, needle, n);
    return { line: r.start.line, character: r.start.character + delta };
  };
  const at = (name: string, needle: string, n = 0, delta = 1) => ({ textDocument: { uri: s.uri(name) }, position: pos(name, needle, n, delta) });
  return { ...s, request, pos, at };
}

test('ok: initialize advertises hover, CodeLens, symbols, definition, references, completion', async (t) => {
  const { init } = await start(t);
  const c = init.capabilities;
  assert.equal(c.hoverProvider, true);
  assert.deepEqual(c.codeLensProvider, { resolveProvider: false });
  assert.equal(c.documentSymbolProvider, true);
  assert.equal(c.workspaceSymbolProvider, true);
  assert.equal(c.definitionProvider, true);
  assert.equal(c.referencesProvider, true);
  assert.deepEqual(c.completionProvider.triggerCharacters, [' ', ',']);
});

test('ok: hover on a table in a policy → RLS state and the policies by command × role, with source text and file:line links', async (t) => {
  const s = await session(t);
  const h = await s.request('textDocument/hover', s.at('3_policies.sql', 'ON docs', 0, 4));
  assert.equal(h.contents.kind, 'markdown');
  const md: string = h.contents.value;
  assert.deepEqual(h.range, word(POLICIES, 'docs', 1));
  assert.match(md, /^\*\*table\*\* `public\.docs` · RLS \*\*on\*\* · \*\*forced\*\*/);
  assert.match(md, /\| Command \| Roles \| Policy \| Kind \| USING \| WITH CHECK \| Where \|/);
  const rows = md.split('\n').filter((l) => /^\| (ALL|SELECT|INSERT|UPDATE|DELETE) /.test(l));
  const link = (line: number) => `[3\\_policies.sql:${line}](${s.uri('3_policies.sql')}#L${line})`;
  assert.deepEqual(rows, [
    `| ALL | authenticated | docs_guard | restrictive | \`owner_id IS NOT NULL\` |  | ${link(4)} |`,
    `| SELECT | authenticated | docs_select | permissive | \`is_member(tenant_id) /* 😀 */\` |  | ${link(2)} |`,
    `| INSERT | app_user | docs_insert | permissive |  | \`true\` | ${link(3)} |`,
  ]);
  assert.match(md, new RegExp(`Created at \\[1\\\\_tables\\.sql:2\\]\\(${s.uri('1_tables.sql').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}#L2\\)`));
  // the CREATE TABLE name and a FROM inside a function body resolve to the same table
  const onCreate = await s.request('textDocument/hover', s.at('1_tables.sql', 'public.docs', 0, 9));
  assert.deepEqual(onCreate.range, rangeOf(TABLES, 'public.docs'));
  assert.match(onCreate.contents.value, /^\*\*table\*\* `public\.docs`/);
  const inBody = await s.request('textDocument/hover', s.at('2_functions.sql', 'public.docs'));
  assert.match(inBody.contents.value, /^\*\*table\*\* `public\.docs`/);
});

test('ok: hover on a function call in a policy → language, definer, volatility, search_path, owner, EXECUTE, calling policies', async (t) => {
  const s = await session(t);
  const h = await s.request('textDocument/hover', s.at('3_policies.sql', 'is_member'));
  assert.deepEqual(h.range, rangeOf(POLICIES, 'is_member'));
  const md: string = h.contents.value;
  assert.match(md, /^\*\*function\*\* `public\.is_member\(uuid\)` · plpgsql · \*\*SECURITY DEFINER\*\* · STABLE/);
  assert.match(md, /- search_path: `public, pg_temp`/);
  assert.match(md, /- owner: not set in the workspace/);
  assert.match(md, /- EXECUTE: not PUBLIC; granted to `authenticated`/);
  assert.match(md, /- called by policies: `docs_select` on `public\.docs` \(\[3\\_policies\.sql:2\]/);
  // on the CREATE FUNCTION name too
  const def = await s.request('textDocument/hover', s.at('2_functions.sql', 'is_member'));
  assert.deepEqual(def.range, rangeOf(FUNCTIONS, 'is_member'));
  assert.match(def.contents.value, /SECURITY DEFINER/);
  // nothing under the cursor → null
  assert.equal(await s.request('textDocument/hover', s.at('3_policies.sql', 'Politiques')), null);
});

test('ok: hover on a finding → its message and a link to its rule doc (with the table insight)', async (t) => {
  const s = await session(t);
  const doc = new Doc(s.client, s.uri('1_tables.sql'), TABLES);
  await doc.diagnostics(has('rls-not-enabled'));
  const h = await s.request('textDocument/hover', s.at('1_tables.sql', 'notes', 0, 2));
  const md: string = h.contents.value;
  assert.match(md, /^\*\*table\*\* `public\.notes` · RLS \*\*off\*\*/);
  assert.match(md, /\n---\n\n\*\*pg-rls-lint\*\* `rls-not-enabled` \(warning\): Table public\.notes/);
  assert.ok(md.includes('[Documentation of rls-not-enabled](https://github.com/pg-rls-lint/pg-rls-lint/blob/main/docs/rules/rls-not-enabled.md)'), md);
});

test('ok: a client that shows diagnostics in its own hover (VS Code: initializationOptions.hoverFindings false) gets the insight only', async (t) => {
  const s = await session(t, { initializationOptions: { hoverFindings: false } });
  const doc = new Doc(s.client, s.uri('1_tables.sql'), TABLES);
  await doc.diagnostics(has('rls-not-enabled'));
  const md: string = (await s.request('textDocument/hover', s.at('1_tables.sql', 'notes', 0, 2))).contents.value;
  assert.match(md, /^\*\*table\*\* `public\.notes` · RLS \*\*off\*\*/);
  assert.doesNotMatch(md, /\*\*pg-rls-lint\*\*|rls-not-enabled/);
});

test('ok: CodeLens above each CREATE TABLE → RLS summary; clicking shows the policies (editor.action.showReferences)', async (t) => {
  const s = await session(t);
  const lenses = await s.request('textDocument/codeLens', { textDocument: { uri: s.uri('1_tables.sql') } });
  assert.deepEqual(
    lenses.map((l: Json) => [l.range, l.command.title, l.command.command]),
    [
      [rangeOf(TABLES, 'public.docs'), 'RLS on · forced · 3 policies', 'editor.action.showReferences'],
      [rangeOf(TABLES, 'notes'), 'RLS off', 'editor.action.showReferences'],
    ],
  );
  const [uri, position, locations] = lenses[0].command.arguments;
  assert.equal(uri, s.uri('1_tables.sql'));
  assert.deepEqual(position, rangeOf(TABLES, 'public.docs').start);
  const stmt = (n: number) => {
    const line = POLICIES.split('\n')[n]!;
    return { start: { line: n, character: 0 }, end: { line: n, character: line.length - 1 } }; // without the ';'
  };
  assert.deepEqual(locations, [
    { uri: s.uri('3_policies.sql'), range: stmt(1) },
    { uri: s.uri('3_policies.sql'), range: stmt(2) },
    { uri: s.uri('3_policies.sql'), range: stmt(3) },
  ]);
  assert.deepEqual(lenses[1].command.arguments[2], []);
});

test('ok: document symbols: tables with policies nested (others in the detail), views, functions, roles', async (t) => {
  const s = await session(t);
  const symbols = await s.request('textDocument/documentSymbol', { textDocument: { uri: s.uri('3_policies.sql') } });
  assert.deepEqual(symbols.map((x: Json) => [x.name, x.kind]), [['public.docs', 5], ['public.docs_view', 11]]);
  assert.match(symbols[0].detail, /^RLS on · forced · 3 policies · created in 1_tables\.sql:2$/);
  assert.deepEqual(
    symbols[0].children.map((c: Json) => [c.name, c.kind, c.detail, c.selectionRange]),
    [
      ['docs_select', 7, 'SELECT · TO authenticated', rangeOf(POLICIES, 'docs_select')],
      ['docs_insert', 7, 'INSERT · TO app_user', rangeOf(POLICIES, 'docs_insert')],
      ['docs_guard', 7, 'restrictive · ALL · TO authenticated', rangeOf(POLICIES, 'docs_guard')],
    ],
  );
  assert.deepEqual(symbols[1].selectionRange, rangeOf(POLICIES, 'docs_view'));
  const tables = await s.request('textDocument/documentSymbol', { textDocument: { uri: s.uri('1_tables.sql') } });
  assert.deepEqual(tables.map((x: Json) => [x.name, x.kind, x.children.length]), [['public.docs', 5, 0], ['public.notes', 5, 0], ['app_user', 19, 0]]);
  assert.match(tables[0].detail, /\(in other files: docs_select \(3_policies\.sql:2\), docs_insert \(3_policies\.sql:3\), docs_guard \(3_policies\.sql:4\)\)$/);
  assert.deepEqual(tables[2].selectionRange, rangeOf(TABLES, 'app_user'));
  const fns = await s.request('textDocument/documentSymbol', { textDocument: { uri: s.uri('2_functions.sql') } });
  assert.deepEqual(fns.map((x: Json) => [x.name, x.kind, x.detail, x.selectionRange]), [['public.is_member(uuid)', 12, 'SECURITY DEFINER · plpgsql · stable', rangeOf(FUNCTIONS, 'is_member')]]);
});

test('ok: workspace symbols with a query', async (t) => {
  const s = await session(t);
  const found = await s.request('workspace/symbol', { query: 'dsel' });
  assert.deepEqual(found, [{ name: 'docs_select', kind: 7, location: { uri: s.uri('3_policies.sql'), range: rangeOf(POLICIES, 'docs_select') }, containerName: 'public.docs' }]);
  const fn = await s.request('workspace/symbol', { query: 'is_mem' });
  assert.deepEqual(fn.map((x: Json) => [x.name, x.location.uri, x.location.range]), [['public.is_member(uuid)', s.uri('2_functions.sql'), rangeOf(FUNCTIONS, 'is_member')]]);
  assert.ok((await s.request('workspace/symbol', { query: '' })).length >= 8);
});

test('ok: go to definition: a call in a policy → CREATE FUNCTION; a table in a view → CREATE TABLE (across files)', async (t) => {
  const s = await session(t);
  assert.deepEqual(await s.request('textDocument/definition', s.at('3_policies.sql', 'is_member', 0, 3)), {
    uri: s.uri('2_functions.sql'),
    range: rangeOf(FUNCTIONS, 'is_member'),
  });
  assert.deepEqual(await s.request('textDocument/definition', s.at('3_policies.sql', 'FROM docs', 0, 6)), {
    uri: s.uri('1_tables.sql'),
    range: rangeOf(TABLES, 'public.docs'),
  });
  assert.equal(await s.request('textDocument/definition', s.at('3_policies.sql', 'Politiques')), null);
});

test('ok: find references of a table and of a function', async (t) => {
  const s = await session(t);
  const refs = await s.request('textDocument/references', { ...s.at('3_policies.sql', 'ON docs', 0, 4), context: { includeDeclaration: false } });
  assert.deepEqual(refs, [
    { uri: s.uri('1_tables.sql'), range: word(TABLES, 'docs', 1) },
    { uri: s.uri('1_tables.sql'), range: word(TABLES, 'docs', 2) },
    { uri: s.uri('1_tables.sql'), range: word(TABLES, 'docs', 3) },
    { uri: s.uri('2_functions.sql'), range: rangeOf(FUNCTIONS, 'public.docs') },
    { uri: s.uri('3_policies.sql'), range: word(POLICIES, 'docs', 1) },
    { uri: s.uri('3_policies.sql'), range: word(POLICIES, 'docs', 2) },
    { uri: s.uri('3_policies.sql'), range: word(POLICIES, 'docs', 3) },
    { uri: s.uri('3_policies.sql'), range: word(POLICIES, 'docs', 4) },
  ]);
  const withDecl = await s.request('textDocument/references', { ...s.at('3_policies.sql', 'ON docs', 0, 4), context: { includeDeclaration: true } });
  assert.deepEqual(withDecl[0], { uri: s.uri('1_tables.sql'), range: rangeOf(TABLES, 'public.docs') });
  const fn = await s.request('textDocument/references', { ...s.at('2_functions.sql', 'is_member'), context: { includeDeclaration: true } });
  assert.deepEqual(fn, [
    { uri: s.uri('2_functions.sql'), range: rangeOf(FUNCTIONS, 'is_member', 0) },
    { uri: s.uri('2_functions.sql'), range: rangeOf(FUNCTIONS, 'is_member', 1) },
    { uri: s.uri('2_functions.sql'), range: rangeOf(FUNCTIONS, 'is_member', 2) },
    { uri: s.uri('3_policies.sql'), range: rangeOf(POLICIES, 'is_member') },
  ]);
});

test('ok: completion after CREATE POLICY … TO offers the workspace roles; after ON the tables (while the statement does not parse)', async (t) => {
  const s = await session(t);
  const text = '-- 😀 nouvelle politique «é»\nCREATE POLICY p ON ';
  const doc = new Doc(s.client, s.uri('4_new.sql'), text);
  const end = () => {
    const lines = doc.text.split('\n');
    return { line: lines.length - 1, character: lines[lines.length - 1]!.length };
  };
  const complete = () => s.request('textDocument/completion', { textDocument: { uri: doc.uri }, position: end(), context: { triggerKind: 2, triggerCharacter: ' ' } });
  const tables = await complete();
  assert.deepEqual(tables.map((i: Json) => [i.label, i.kind, i.detail]), [
    ['docs', 22, 'table · RLS on · forced · 3 policies'],
    ['notes', 22, 'table · RLS off'],
  ]);
  doc.append('docs FOR SELECT TO ');
  const roles = await complete();
  assert.deepEqual(roles.map((i: Json) => [i.label, i.kind]), [['app_user', 21], ['authenticated', 21], ['anon', 21], ['public', 21]]);
  doc.append('authenticated, ');
  assert.equal((await complete()).length, 4);
  doc.append('anon USING (');
  assert.deepEqual(await complete(), []);
});

test('ok: pgRlsLint.server.rlsMatrix renders tables × commands × roles (allow / filtered / deny / RLS off)', async (t) => {
  const s = await session(t);
  const md: string = await s.request('workspace/executeCommand', { command: 'pgRlsLint.server.rlsMatrix', arguments: [] });
  assert.match(md, /\| public\.docs \| yes \| yes \| 3 \|/);
  assert.match(md, /## Access by role and command/);
  assert.match(md, /\| Table \| Command \| app\\_user \| authenticated \|/);
  assert.ok(md.includes('| public.docs | SELECT | ⛔ deny (no permissive policy) | 🔍 filtered (docs\\_select, docs\\_guard) |'), md);
  assert.ok(md.includes('| public.docs | INSERT | ✅ allow (docs\\_insert) | ⛔ deny (no permissive policy) |'), md);
  assert.ok(md.includes('| public.notes | SELECT | ⛔ deny (no GRANT) | ⛔ deny (no GRANT) |'), md);
});

test("ok: a DO block's loop over the catalog: its findings on each table are one diagnostic and one hover entry, and hovering its EXECUTE names the tables the replay ran it for", async (t) => {
  const text = orgLoopFile(6, ' -- é 😀');
  const s = await start(t, { '1.sql': text });
  const published = await s.client.waitForDiagnostics(s.uri('1.sql'), (p) => p.diagnostics.some((d: Json) => d.code === 'policy-applies-to-public'));
  const pub = published.diagnostics.filter((d: Json) => d.code === 'policy-applies-to-public');
  assert.equal(pub.length, 1);
  assert.match(pub[0].message, /^Policy "org_only" on public\.t0 \(and the same for public\.t1, public\.t2, public\.t3, public\.t4, public\.t5\) has no TO clause/);
  const at = text.indexOf("'CREATE POLICY org_only") + 3;
  const before = text.slice(0, at);
  const h = await s.client.request('textDocument/hover', { textDocument: { uri: s.uri('1.sql') }, position: rangeOf(before + '\u0000', '\u0000').start });
  const md: string = h.contents.value;
  assert.match(md, /\*\*loop over the catalog\*\*: its statements run for the 6 tables its query lists where it runs: `public\.t0`, `public\.t1`, `public\.t2`, `public\.t3`, `public\.t4`, `public\.t5`/);
  assert.equal(md.match(/`policy-applies-to-public`/g)?.length, 1);
});

test('ok: hovering a replayed call (`SELECT apply_tenant_rls(\'visits\')`) says what the replay ran for it; its policies\' findings are at the function\'s string', async (t) => {
  const text = `CREATE TABLE users (id uuid PRIMARY KEY, tenant_id uuid NOT NULL);
CREATE TABLE visits (id uuid PRIMARY KEY, tenant_id uuid NOT NULL);
CREATE FUNCTION apply_tenant_rls(target regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', target);
  EXECUTE format('CREATE POLICY tenant_isolation ON %s USING (tenant_id = nullif(current_setting(''app.tenant'', true), '''')::uuid)', target);
END $$;
SELECT apply_tenant_rls('users');
SELECT apply_tenant_rls('visits'); -- é 😀
`;
  const s = await start(t, { '1.sql': text });
  const published = await s.client.waitForDiagnostics(s.uri('1.sql'), (p) => p.diagnostics.some((d: Json) => d.code === 'policy-per-row-function'));
  const perRow = published.diagnostics.filter((d: Json) => d.code === 'policy-per-row-function');
  assert.deepEqual(perRow.map((d: Json) => d.message.match(/^Policy "tenant_isolation" on (public\.\w+)/)?.[1]), ['public.users', 'public.visits']);
  const inString = rangeOf(text, "current_setting(''app.tenant''");
  for (const d of perRow) assert.deepEqual(d.range.start, inString.start);
  const at = text.indexOf("SELECT apply_tenant_rls('visits')") + 10;
  const h = await s.client.request('textDocument/hover', { textDocument: { uri: s.uri('1.sql') }, position: rangeOf(text.slice(0, at) + '\u0000', '\u0000').start });
  assert.match(h.contents.value, /\*\*replayed call\*\*: it runs `ALTER TABLE visits ENABLE ROW LEVEL SECURITY`, `CREATE POLICY tenant\\_isolation ON visits` \(its function's EXECUTEs, with its values\)/);
});
