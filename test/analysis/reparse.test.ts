// Re-parsing an edited file against the parse of its previous text (what the engine does on
// every keystroke) must give exactly what a full parse of the new text gives: the same
// statements with the same offsets, bodies, errors, includes and suppressions. Thousands of
// seeded edits (typing, deleting, pasting statements, opening quotes and bodies) are applied
// to realistic migrations and both parses compared.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initParser, parseFile } from '../../server/src/analysis/parse.js';
import type { ParsedFile, Statement } from '../../server/src/analysis/types.js';
import { generateWorkspace } from '../../bench/generate.js';
import { fixtureA, fixtureB } from '../helpers/sql-fixtures.js';

before(async () => {
  await initParser();
});

/** What a parse says, without its functions (positionAt / offsetAt). */
function facts(p: ParsedFile) {
  return { file: p.file, text: p.text, statements: p.statements, errors: p.errors, includes: p.includes, disabledLines: p.disabledLines, disabledFile: p.disabledFile };
}

const SNIPPETS = [
  'x', ' ', ';', '$$', "'", '(', ')', '\n', '-- note\n', '/*', '*/', 'é', '😀', '\\echo hi\n', '"', 'E\'',
  '\nCREATE TABLE zz (a int);\n',
  '\nALTER TABLE tenants FORCE ROW LEVEL SECURITY;\n',
  "\nCREATE POLICY p_z ON tenants FOR SELECT USING (id = (select auth.uid()));\n",
  '\nCREATE FUNCTION f_z() RETURNS int LANGUAGE plpgsql AS $f$ BEGIN RETURN 1; END $f$;\n',
  '\nDO $$ BEGIN PERFORM 1; END $$;\n',
  ' -- pg-rls-lint-disable-next-line rls-not-forced\n',
];

/** A deterministic pseudo-random sequence (LCG). */
function rng(seed: number) {
  let x = seed >>> 0;
  return (n: number) => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x % n;
  };
}

function edit(text: string, r: (n: number) => number): string {
  const at = r(text.length + 1);
  switch (r(4)) {
    case 0:
      return text.slice(0, at) + SNIPPETS[r(SNIPPETS.length)] + text.slice(at);
    case 1:
      return text.slice(0, at) + text.slice(Math.min(text.length, at + 1 + r(30)));
    case 2: {
      // rename an identifier (a word with an underscore: not a keyword)
      const m = /[A-Za-z]+_[A-Za-z_]+/.exec(text.slice(at));
      if (!m) return text;
      const k = at + m.index;
      return text.slice(0, k) + m[0] + '_r' + text.slice(k + m[0].length);
    }
    default: {
      // paste a copy of a line somewhere else
      const ls = text.lastIndexOf('\n', at - 1) + 1;
      const le = text.indexOf('\n', at);
      const line = text.slice(ls, le < 0 ? text.length : le + 1);
      const to = r(text.length + 1);
      return text.slice(0, to) + line + text.slice(to);
    }
  }
}

const corpus = [
  { name: 'examples (CRLF, BOM)', text: fixtureA().text },
  { name: 'rule docs', text: fixtureB().text },
  { name: 'generated migration', text: generateWorkspace(3, 300, -1, 0)[1]!.text },
  {
    name: "Liquibase's formatted SQL",
    // (each statement of a generated migration a changeset, every third without its semicolon)
    get text() {
      const src = generateWorkspace(3, 120, -1, 0)[1]!.text;
      const stmts = parseFile('g.sql', src).statements.filter((x) => x.origin === 'file');
      return `-- liquibase formatted sql\n${stmts.map((x, i) => `-- changeset dev:${i}\n${src.slice(x.start, x.end)}${i % 3 ? ';' : ''}\n`).join('\n')}`;
    },
  },
  {
    name: "Liquibase's formatted SQL split at endDelimiter lines, / and GO",
    // (changesets of several statements: some with endDelimiter:/ or endDelimiter://, the others split by `/`, `GO` or `;`)
    get text() {
      const src = generateWorkspace(3, 120, -1, 0)[1]!.text;
      const stmts = parseFile('g.sql', src).statements.filter((x) => x.origin === 'file');
      const ends = ['\n/', '\nGO', ';'];
      return `-- liquibase formatted sql\n${stmts
        .map((x, i) => `${i % 3 === 0 ? `-- changeset dev:${i}${i % 9 === 3 ? ' endDelimiter:/' : i % 9 === 6 ? ' endDelimiter://' : ''}\n` : ''}${src.slice(x.start, x.end)}${i % 9 >= 3 && i % 9 < 6 ? '\n/' : i % 9 >= 6 ? ' //' : ends[i % 3]}\n`)
        .join('\n')}`;
    },
  },
];

for (const entry of corpus) for (const consume of [false, true]) {
  // consume: the previous parse is given up, and the statements an edit moves are moved in place
  test(`re-parsing after an edit equals a full parse: ${entry.name}${consume ? ', moving statements in place' : ''}`, () => {
    const text = entry.text; // (made once the parser is ready)
    const r = rng(text.length);
    let reused = 0;
    let moved = 0;
    for (let round = 0; round < 100; round++) {
      // a session of edits: each parse is made against the previous one, as in the editor
      let current = text;
      let prev = parseFile('m.sql', current);
      for (let step = 0; step < 4; step++) {
        const next = edit(current, r);
        const startsBefore = new Map(prev.statements.map((s) => [s, s.start]));
        const again = parseFile('m.sql', next, prev, { consume });
        const full = parseFile('m.sql', next);
        assert.deepEqual(facts(again), facts(full), `round ${round}, step ${step}`);
        const old = new Set(prev.statements);
        if (again.statements.some((s) => old.has(s))) reused++;
        // moved, not copied, when the previous parse is given up: previous statements at new offsets
        for (const s of again.statements) if (old.has(s) && s.start !== startsBefore.get(s)) moved++;
        // a DO block's static statements are the very objects of its body in both
        for (const s of again.statements) {
          if (s.kind !== 'DoStmt') continue;
          for (const inner of s.body?.statements ?? []) if (inner.origin === 'do') assert.ok(again.statements.includes(inner as Statement));
        }
        current = next;
        prev = again;
      }
    }
    // the incremental path was taken, not only the fallback to a full parse
    assert.ok(reused > 60, `statements reused in ${reused} of 400 edits`);
    if (consume) assert.ok(moved > 100, `statements moved in place: ${moved}`);
    else assert.equal(moved, 0);
  });
}
