// "While typing": a statement is typed into realistic migrations one prefix at a time — at the
// start, in the middle and at the end of the file — and after every prefix the parse and the
// lint must keep the promises of ARCHITECTURE.md: parsing never throws, the statement being
// typed is at most one syntax error, every statement before it is parsed exactly as before,
// every statement after it too (unless the prefix ends inside a quote, a block comment or COPY
// data, which swallow the rest of the file in psql as well), offsets are UTF-16 and never
// split a surrogate pair, and no rule throws.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { initParser, parseFile } from '../../server/src/analysis/parse.js';
import type { Node, ParsedFile, Statement } from '../../server/src/analysis/types.js';
import { Workspace, type Finding } from '../../server/src/engine/workspace.js';
import { fixtureA, fixtureB, type Fixture } from '../helpers/sql-fixtures.js';

before(async () => {
  await initParser();
});

/** Statements typed into the fixtures (`\n` becomes the fixture's line ending). */
const TYPED: Record<string, string> = {
  policy: `CREATE POLICY "política_😀" ON tenants FOR UPDATE TO authenticated
  USING (name <> 'café ☕' AND id IN (SELECT tenant_id FROM tenant_users WHERE user_id = auth.uid()));`,
  'tagged plpgsql function': `CREATE FUNCTION rename_tenant(t uuid, n text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER AS $body$
BEGIN
  -- 名前を変える 🎉
  EXECUTE 'UPDATE tenants SET name = ' || quote_literal(n) || ' WHERE id = $1' USING t;
END $body$;`,
  'sql function ($$)': `CREATE FUNCTION tenant_count() RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT count(*) FROM tenants /* ☃ */
$$;`,
  'DO block ($$)': `DO $$
BEGIN
  PERFORM set_config('app.tenant_id', 'ü', false);
END
$$;`,
  'COPY from stdin': `COPY invoices (tenant_id, amount_cents) FROM stdin;
00000000-0000-0000-0000-000000000001\t42 -- «x»; 'y
\\.`,
  'psql meta-command and E string': `\\echo 'créer 😀'
COMMENT ON TABLE invoices IS E'l\\'été 🌞';`,
  'block comment': `/* RLS — 注意 */ ALTER TABLE tenant_users FORCE ROW LEVEL SECURITY;`,
  'BEGIN ATOMIC': `CREATE FUNCTION two() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END;`,
  'grant on non-ASCII names': `GRANT SELECT ON TABLE 表😀, "😀emoji", über TO authenticated;`,
};

// ---------------------------------------------------------------------------------------
// An independent scanner for the state the typed text ends in.

type State = 'closed' | 'quote' | 'ident' | 'dollar' | 'comment' | 'copy';

function endState(s: string): State {
  let i = 0;
  let stmt = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === '-' && s[i + 1] === '-') {
      const k = s.indexOf('\n', i);
      if (k < 0) return 'closed'; // the line ending typed after the prefix ends it
      i = k;
    } else if (c === '/' && s[i + 1] === '*') {
      let depth = 1;
      i += 2;
      while (depth > 0) {
        if (i >= s.length) return 'comment';
        if (s.startsWith('/*', i)) (depth++, (i += 2));
        else if (s.startsWith('*/', i)) (depth--, (i += 2));
        else i++;
      }
    } else if (c === '\\' && (i === 0 || s[i - 1] === '\n')) {
      const k = s.indexOf('\n', i);
      if (k < 0) return 'closed';
      i = k;
    } else if (c === "'") {
      const escape = /[eE]/.test(s[i - 1] ?? '');
      i++;
      for (;;) {
        if (i >= s.length) return 'quote';
        if (escape && s[i] === '\\') i += 2;
        else if (s[i] === "'" && s[i + 1] === "'") i += 2;
        else if (s[i] === "'") break;
        else i++;
      }
      if (i >= s.length) return 'quote';
      i++;
    } else if (c === '"') {
      const k = s.indexOf('"', i + 1);
      if (k < 0) return 'ident';
      i = k + 1;
    } else if (c === '$' && !/[\w$]/.test(s[i - 1] ?? ' ')) {
      const m = /^\$([A-Za-z_]\w*)?\$/.exec(s.slice(i));
      if (!m) {
        i++;
        continue;
      }
      const k = s.indexOf(m[0], i + m[0].length);
      if (k < 0) return 'dollar';
      i = k + m[0].length;
    } else if (c === ';') {
      const copy = /^\s*copy\b[\s\S]*\bfrom\s+stdin\b/i.test(s.slice(stmt, i));
      i++;
      stmt = i;
      if (copy) {
        const k = s.search(/\n\\\.(\r?\n|$)/);
        if (k < 0) return 'copy';
        i = stmt = k + 3;
      }
    } else i++;
  }
  return 'closed';
}

// ---------------------------------------------------------------------------------------
// Checks

const isLow = (t: string, k: number) => {
  const c = t.charCodeAt(k);
  return c >= 0xdc00 && c <= 0xdfff && k > 0 && t.charCodeAt(k - 1) >= 0xd800 && t.charCodeAt(k - 1) <= 0xdbff;
};

/** Every offset of the parse is inside the text and never between the halves of a surrogate pair. */
function rangeProblems(p: ParsedFile): string[] {
  const out: string[] = [];
  const t = p.text;
  const bad = (k: number) => !(k >= 0 && k <= t.length) || isLow(t, k);
  for (const e of p.errors) if (bad(e.start) || bad(e.end) || e.start > e.end) out.push(`error range ${e.start}-${e.end}: ${e.message.slice(0, 60)}`);
  for (const s of p.statements) {
    if (bad(s.start) || bad(s.end) || s.start > s.end) out.push(`statement range ${s.kind} ${s.start}-${s.end}`);
    for (const loc of locations(s.node)) if (bad(loc)) out.push(`location ${loc} in ${s.kind}`);
  }
  return out;
}

function locations(node: Node, out: number[] = []): number[] {
  if (Array.isArray(node)) node.forEach((x) => locations(x, out));
  else if (node && typeof node === 'object') {
    for (const k in node) {
      const v = node[k];
      if (k === 'location' && typeof v === 'number' && v >= 0) out.push(v);
      else if (v && typeof v === 'object') locations(v, out);
    }
  }
  return out;
}

/** A statement as text, kind, tree and body statements, offsets relative to its start (comparable after a shift). */
function shape(text: string, s: Statement): string {
  const json = JSON.stringify(s.node, (k, v) => (k === 'location' && typeof v === 'number' && v >= 0 ? v - s.start : v));
  const body = (s.body?.statements ?? []).map((b) => `${b.kind}@${b.start - s.start}-${b.end - s.start}`).join(',');
  return `${s.kind}|${text.slice(s.start, s.end)}|${json}|${body}`;
}

const FINDINGS_EVERY = 4; // Workspace.lint on every fourth prefix (the parse is checked on every one)

function findingKeys(ws: Workspace, file: string, text: string, P: number, d: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of ws.lint().byFile.get(file) ?? []) {
    if (f.rule === 'syntax-error') continue;
    let side: string;
    if (f.end <= P && !(f.start === P && d > 0)) side = `before ${f.start}-${f.end}`;
    else if (f.start >= P + d) side = `after ${f.start - d}-${f.end - d}`;
    else continue; // on the typed text
    const k = `${f.rule}|${side}|${text.slice(f.start, f.end)}|${f.message.replace(/\d+/g, '#')}`;
    out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

const internalErrors = (ws: Workspace): Finding[] => [...ws.lint().byFile.values()].flat().filter((f) => /^internal error in rule/.test(f.message));

/** Prefix lengths (UTF-16) at code-point boundaries: every `step`-th, and around every character that opens or closes something. */
function prefixLengths(typed: string, step: number): number[] {
  const special = /['"()$*\/\\;\-\n\r]|[^\x00-\x7f]/;
  const out = new Set<number>();
  let cp = 0;
  for (let i = 0; i < typed.length; cp++) {
    const ch = String.fromCodePoint(typed.codePointAt(i)!);
    if (cp % step === 0 || special.test(ch)) out.add(i);
    i += ch.length;
    if (special.test(ch) || cp % step === 0) out.add(i);
  }
  out.delete(0);
  out.add(typed.length);
  return [...out].sort((a, b) => a - b);
}

interface Tally {
  cases: number;
  byState: Record<string, number>;
  lostAfter: Record<string, number>;
  lints: number;
}

const tally: Tally = { cases: 0, byState: {}, lostAfter: {}, lints: 0 };

function typeInto(fx: Fixture, where: 'start' | 'middle' | 'end', typedLf: string): string[] {
  const problems: string[] = [];
  const note = (msg: string) => {
    if (problems.length < 12) problems.push(msg);
  };
  const typed = typedLf.replace(/\n/g, fx.eol);
  const P = fx.positions[where];
  const head = fx.text.slice(0, P);
  const tail = where === 'end' ? '' : fx.eol + fx.text.slice(P);
  const file = 'typing.sql';
  const base = parseFile(file, fx.text);
  assert.deepEqual(base.errors, [], `${fx.name}: the fixture parses`);
  const beforeShapes = base.statements.filter((s) => s.end <= P).map((s) => shape(fx.text, s));
  const afterShapes = base.statements.filter((s) => s.start >= P).map((s) => shape(fx.text, s));
  const nextStart = base.statements.find((s) => s.start >= P)?.start ?? fx.text.length;
  const baseWs = new Workspace();
  baseWs.setFile(file, fx.text);
  const baseKeys = findingKeys(baseWs, file, fx.text, P, 0);
  const finalText = head + typed + tail;
  const finalWs = new Workspace();
  finalWs.setFile(file, finalText);
  const finalKeys = findingKeys(finalWs, file, finalText, P, typed.length + (tail ? fx.eol.length : 0));
  // findings the typed statement does not change: they must stay while it is being typed
  const stable = [...baseKeys.keys()].filter((k) => finalKeys.has(k));
  assert.deepEqual(internalErrors(finalWs), []);

  const lengths = prefixLengths(typed, 3);
  lengths.forEach((len, n) => {
    const prefix = typed.slice(0, len);
    const text = head + prefix + tail;
    const d = prefix.length + (tail ? fx.eol.length : 0);
    const state = endState(prefix);
    const label = `${where} ${JSON.stringify(prefix.slice(-30))} (${state})`;
    tally.cases++;
    tally.byState[state] = (tally.byState[state] ?? 0) + 1;
    let p: ParsedFile;
    try {
      p = parseFile(file, text);
    } catch (e) {
      note(`${label}: parseFile threw ${e}`);
      return;
    }
    for (const r of rangeProblems(p)) note(`${label}: ${r}`);
    if (p.errors.length > 1) note(`${label}: ${p.errors.length} errors: ${p.errors.map((e) => e.message.slice(0, 50)).join(' | ')}`);
    // the statement being typed is one error when PostgreSQL rejects it on its own (at the
    // end of the file: exactly its own errors), placed on it or on the next statement's first token
    const alone = parseFile(file, prefix).errors.length;
    if (where === 'end' ? p.errors.length !== alone : (state === 'closed' || state === 'dollar') && alone > 0 && p.errors.length !== 1) {
      note(`${label}: ${p.errors.length} errors, the prefix alone has ${alone}`);
    }
    for (const e of p.errors) {
      if ((state === 'closed' || state === 'dollar') && (e.start < P || e.start > nextStart + d)) note(`${label}: error outside the typed statement: ${e.message.slice(0, 60)}`);
    }
    const shapes = new Set(p.statements.map((s) => shape(text, s)));
    for (const b of beforeShapes) if (!shapes.has(b)) note(`${label}: lost a statement before: ${b.slice(0, 70)}`);
    const after = new Set(p.statements.filter((s) => s.start >= P + d).map((s) => shape(text, s)));
    const lost = afterShapes.filter((a) => !after.has(a));
    if (lost.length) {
      tally.lostAfter[state] = (tally.lostAfter[state] ?? 0) + 1;
      if (state === 'closed' || state === 'dollar') note(`${label}: lost ${lost.length} of ${afterShapes.length} statements after, first ${lost[0]!.slice(0, 70)}`);
    }
    if (n % FINDINGS_EVERY === 0 || len === typed.length) {
      tally.lints++;
      const ws = new Workspace();
      ws.setFile(file, text);
      let internal: Finding[];
      try {
        internal = internalErrors(ws);
      } catch (e) {
        note(`${label}: lint threw ${e}`);
        return;
      }
      for (const f of internal) note(`${label}: ${f.message}`);
      for (const f of ws.lint().byFile.get(file) ?? []) {
        if (!(f.start >= 0 && f.start <= f.end && f.end <= text.length) || isLow(text, f.start) || isLow(text, f.end)) note(`${label}: ${f.rule} range ${f.start}-${f.end}`);
      }
      if (state === 'closed' || state === 'dollar') {
        const keys = findingKeys(ws, file, text, P, d);
        for (const k of stable) if (!keys.has(k)) note(`${label}: lost finding ${k.slice(0, 100)}`);
      }
    }
  });
  return problems;
}

for (const [label, make] of [['the examples (CRLF, BOM)', fixtureA], ['the rule docs (LF)', fixtureB]] as const) {
  describe(`typing into ${label}`, () => {
    let fx: Fixture;
    before(() => {
      fx = make();
    });
    for (const [name, typed] of Object.entries(TYPED)) {
      for (const where of ['start', 'middle', 'end'] as const) {
        test(`ok: ${name} typed at the ${where}`, () => {
          assert.deepEqual(typeInto(fx, where, typed), []);
        });
      }
    }
  });
}

test('ok: the typing tests covered every end state', () => {
  // printed for the record; the tests above assert per prefix
  console.log(`typing: ${tally.cases} prefixes parsed, ${tally.lints} linted; by end state ${JSON.stringify(tally.byState)}; statements after lost ${JSON.stringify(tally.lostAfter)}`);
  for (const s of ['closed', 'quote', 'ident', 'dollar', 'comment', 'copy']) assert.ok(tally.byState[s]! > 0, s);
});
