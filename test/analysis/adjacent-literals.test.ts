// A string constant written in several adjacent literals (PostgreSQL's continuation: a '…' or
// E'…' string, whitespace holding a newline — `--` comments allowed, each ending its line — and
// another '…'): one constant, each piece where the file writes it (parse.ts contentsOf). A DO
// block's EXECUTE of such a string (owieschon/ultra-csm's `EXECUTE format('CREATE POLICY
// tenant_isolation ON %s ' 'USING (…) ' 'WITH CHECK (…)', t)`, one literal a line) makes its
// statements with their nodes where each piece has their text, not at the format() call. Executed
// on PGlite.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mergeConfig } from '../../server/src/analysis/config.js';
import { buildModel } from '../../server/src/analysis/model.js';
import { contentsOf, parseFile } from '../../server/src/analysis/parse.js';
import { closeAll, getDb, inRollback, tryQuery } from '../helpers/pg.js';
import { initParser } from '../helpers/rule-proof.js';

before(initParser);
after(closeAll);

/** The pieces contentsOf reads from the literal at the start of `expr`, as their text. */
const piecesOf = (expr: string) => contentsOf(expr, 0)?.map((c) => expr.slice(c.start, c.end));

test("ok: what PostgreSQL reads as one constant, contentsOf reads in pieces: a newline between (\\n, \\r, with spaces, tabs, \\f, \\v), a `--` comment before or on lines between; not two literals on one line, a /* */ comment, an E'…' or a dollar quote after; a piece continuing E'…' keeps its escapes. PGlite: the value, or 42601", async () => {
  const cases: Array<[sep: string, second: string, value: string | undefined]> = [
    ['\n ', "'b'", 'ab'],
    ['\r', "'b'", 'ab'],
    ['\t\n\t', "'b'", 'ab'],
    ['\f\n\v', "'b'", 'ab'],
    [' -- c\n ', "'b'", 'ab'],
    ['\n-- c\n', "'b'", 'ab'],
    ['\n -- c\n -- d\n ', "'b'", 'ab'],
    [' ', "'b'", undefined],
    [' /* c */\n ', "'b'", undefined],
    ['\n /* c */ ', "'b'", undefined],
    ['\n ', "E'b'", undefined],
    ['\n ', '$$b$$', undefined],
  ];
  await inRollback(await getDb(), async (q) => {
    for (const [sep, second, value] of cases) {
      const expr = `'a'${sep}${second}`;
      const r = await tryQuery(q, `SELECT ${expr} AS x`);
      if (value === undefined) {
        assert.equal(r.ok ? 'ok' : r.error.code, '42601', JSON.stringify(expr));
        assert.deepEqual(piecesOf(expr), ['a'], JSON.stringify(expr));
      } else {
        assert.equal(r.ok ? r.rows[0]!.x : r.error.code, value, JSON.stringify(expr));
        assert.deepEqual(piecesOf(expr), ['a', 'b'], JSON.stringify(expr));
      }
    }
    // (E'…' continued: the second piece's \n is a newline and its \' a quote, as in the first)
    const e = "E'a\\t'\n 'b\\n\\''";
    assert.equal((await q(`SELECT ${e} AS x`))[0]!.x, "a\tb\n'");
    assert.deepEqual(contentsOf(e, 0)?.map((c) => [e.slice(c.start, c.end), !!c.escapes]), [['a\\t', true], ["b\\n\\'", true]]);
    // (a '…' one continued: backslashes as written)
    assert.equal((await q(`SELECT 'a\\'\n 'b\\n' AS x`))[0]!.x, 'a\\b\\n');
    assert.deepEqual(contentsOf("'a\\'\n 'b\\n'", 0)?.map((c) => !!c.escapes), [false, false]);
  });
});

// ultra-csm's 0002_rls.sql, after text in other scripts (its UTF-16 offsets are not its bytes')
const HEAD = '-- Mandanten-Isolierung für alle Tabellen — politique « tenant » 🚀\n';
const TABLES = `${HEAD}CREATE TABLE public.part (id int, tenant_id uuid);
CREATE TABLE public.contact (id int, tenant_id uuid);
CREATE TABLE public.plain (id int, tenant_id uuid);
CREATE POLICY tenant_isolation ON public.plain USING (tenant_id = current_setting('app.tenant_id')::uuid) WITH CHECK (tenant_id = current_setting('app.tenant_id')::uuid);
`;
const LOOP = `DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['part', 'contact'] LOOP
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %s ' -- « %s » : la table
      'USING (tenant_id = current_setting(''app.tenant_id'')::uuid) '
      -- Prüfung beim Schreiben
      'WITH CHECK (tenant_id = current_setting(''app.tenant_id'')::uuid)', t);
  END LOOP;
END $$;
`;

test("ok: a format() pattern of three adjacent literals (ultra-csm's, a comment between two), after non-ASCII text: the loop's two policies have their USING's and WITH CHECK's calls where the pieces write them; the statements' pieces are the three strings' contents, the text the others make around each; PGlite runs the same policies as the static one", async () => {
  const text = TABLES + LOOP;
  const pf = parseFile('1.sql', text);
  const made = pf.statements.filter((s) => s.dynamic && s.kind === 'CreatePolicyStmt');
  assert.equal(made.length, 2);
  const first = text.indexOf("'CREATE POLICY tenant_isolation ON %s '");
  const second = text.indexOf("'USING (", first);
  const third = text.indexOf("'WITH CHECK (", second);
  const pieceTexts = ['CREATE POLICY tenant_isolation ON %s ', "USING (tenant_id = current_setting(''app.tenant_id'')::uuid) ", "WITH CHECK (tenant_id = current_setting(''app.tenant_id'')::uuid)"];
  for (const s of made) {
    assert.equal(s.literal, undefined);
    assert.deepEqual(
      s.pieces?.map((p) => [text.slice(p.start, p.end), p.format, p.quote, p.values]),
      pieceTexts.map((t) => [t, true, "'", ['part', 'contact']]),
    );
    assert.deepEqual(s.pieces?.map((p) => p.around), [
      { before: '', after: "USING (tenant_id = current_setting('app.tenant_id')::uuid) WITH CHECK (tenant_id = current_setting('app.tenant_id')::uuid)" },
      { before: 'CREATE POLICY tenant_isolation ON %s ', after: "WITH CHECK (tenant_id = current_setting('app.tenant_id')::uuid)" },
      { before: "CREATE POLICY tenant_isolation ON %s USING (tenant_id = current_setting('app.tenant_id')::uuid) ", after: '' },
    ]);
    // (its text in the strings: from CREATE to the last piece's `)`)
    assert.deepEqual(s.inString, { start: first + 1, end: third + 1 + pieceTexts[2]!.length });
  }
  const m = buildModel([pf], mergeConfig({}));
  const dynamic = ['public.part', 'public.contact'].map((t) => m.tables.get(t)!.policies[0]!);
  for (const p of dynamic) {
    assert.equal(p.name, 'tenant_isolation');
    // (its name where the string starts, as for a one-literal string: literal-policy-loops.test.ts)
    assert.equal(p.nameLoc.start, first);
    // (current_setting in the second piece, its column ref before it; the WITH CHECK's in the third)
    const using = p.using?.A_Expr;
    const check = p.withCheck?.A_Expr;
    assert.equal(using?.lexpr?.ColumnRef?.location, text.indexOf('tenant_id', second));
    assert.equal(using?.rexpr?.TypeCast?.arg?.FuncCall?.location, text.indexOf('current_setting', second));
    assert.equal(using?.rexpr?.TypeCast?.arg?.FuncCall?.args?.[0]?.A_Const?.location, text.indexOf("''app.tenant_id''", second));
    assert.equal(check?.rexpr?.TypeCast?.arg?.FuncCall?.location, text.indexOf('current_setting', third));
  }
  await inRollback(await getDb(), async (q) => {
    await q(text);
    const rows = await q(`SELECT tablename, qual, with_check FROM pg_policies WHERE policyname = 'tenant_isolation' ORDER BY tablename`);
    assert.deepEqual(rows.map((r) => r.tablename), ['contact', 'part', 'plain']);
    const plain = rows.find((r) => r.tablename === 'plain')!;
    assert.equal(plain.qual, "(tenant_id = (current_setting('app.tenant_id'::text))::uuid)");
    for (const r of rows) assert.deepEqual([r.qual, r.with_check], [plain.qual, plain.with_check], r.tablename);
  });
});

test("ok: a constant EXECUTE string of an E'…' literal continued by a '…' one: the second piece's escapes read as E'…' (`\\'`), the call where it is written after the first piece's `\\t`; PGlite makes the policy", async () => {
  const text = `${TABLES}DO $$ BEGIN EXECUTE E'CREATE POLICY p_e ON public.part\\tTO public '\n    'USING (tenant_id = current_setting(\\'app.tenant_id\\')::uuid)'; END $$;\n`;
  const pf = parseFile('1.sql', text);
  const s = pf.statements.find((x) => x.dynamic && x.kind === 'CreatePolicyStmt')!;
  assert.deepEqual(s.pieces?.map((p) => [text.slice(p.start, p.end), p.escapes, p.format]), [
    ['CREATE POLICY p_e ON public.part\\tTO public ', true, false],
    ["USING (tenant_id = current_setting(\\'app.tenant_id\\')::uuid)", true, false],
  ]);
  const p = buildModel([pf], mergeConfig({})).tables.get('public.part')!.policies[0]!;
  const at = text.indexOf("'USING (");
  assert.equal(p.using?.A_Expr?.rexpr?.TypeCast?.arg?.FuncCall?.location, text.indexOf('current_setting', at));
  assert.equal(p.using?.A_Expr?.rexpr?.TypeCast?.arg?.FuncCall?.args?.[0]?.A_Const?.sval?.sval, 'app.tenant_id');
  await inRollback(await getDb(), async (q) => {
    await q(text);
    const [row] = await q(`SELECT qual FROM pg_policies WHERE policyname = 'p_e'`);
    assert.equal(row?.qual, "(tenant_id = (current_setting('app.tenant_id'::text))::uuid)");
  });
});

test("ok: a `||` chain whose operand is two adjacent literals: each is a piece of its own, with what the chain and the other piece make around it; the call where the second writes it", () => {
  const text = `${TABLES}DO $$ BEGIN EXECUTE 'CREATE POLICY p_c ' || 'ON public.part '\n    'USING (tenant_id = current_setting(''app.tenant_id'')::uuid)'; END $$;\n`;
  const pf = parseFile('1.sql', text);
  const s = pf.statements.find((x) => x.dynamic && x.kind === 'CreatePolicyStmt')!;
  assert.deepEqual(
    s.pieces?.map((p) => [text.slice(p.start, p.end), p.around]),
    [
      ['CREATE POLICY p_c ', { before: '', after: "ON public.part USING (tenant_id = current_setting('app.tenant_id')::uuid)" }],
      ['ON public.part ', { before: 'CREATE POLICY p_c ', after: "USING (tenant_id = current_setting('app.tenant_id')::uuid)" }],
      ["USING (tenant_id = current_setting(''app.tenant_id'')::uuid)", { before: 'CREATE POLICY p_c ON public.part ', after: '' }],
    ],
  );
  const p = buildModel([pf], mergeConfig({})).tables.get('public.part')!.policies[0]!;
  assert.equal(p.using?.A_Expr?.rexpr?.TypeCast?.arg?.FuncCall?.location, text.indexOf('current_setting', text.indexOf("'USING (")));
});
