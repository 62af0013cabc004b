// The editor (and GitHub's annotations) show the findings of one rule at one place, with no fix,
// four or more, whose messages differ in a few words (a DO block's loop making a policy on each
// table it reaches) as one (engine/merge-repeated.ts); the CLI's text, JSON and SARIF keep each.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initParser, Workspace, type Finding } from '../../server/src/engine/workspace.js';
import { mergeRepeated } from '../../server/src/engine/merge-repeated.js';

before(initParser);

const tables = Array.from({ length: 12 }, (_, i) => `CREATE TABLE public.t${String(i).padStart(2, '0')} (id int, org_id uuid);`).join('\n');
const LOOP = `DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'org_id' LOOP
    EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', r.table_name);
    EXECUTE format('CREATE POLICY org_only ON public.%I USING (org_id IS NOT NULL)', r.table_name);
  END LOOP;
END $$;
`;

function lint(text: string): Finding[] {
  const ws = new Workspace();
  ws.setFile('file:///w/1.sql', text);
  return ws.lint().byFile.get('file:///w/1.sql') ?? [];
}

test("ok: a loop's policy-applies-to-public findings on twelve tables, at its EXECUTE, are one in the editor: the first's message, naming the others' tables", () => {
  const findings = lint(`${tables}\n${LOOP}`);
  const mine = findings.filter((f) => f.rule === 'policy-applies-to-public');
  assert.equal(mine.length, 12);
  const shown = mergeRepeated(findings).filter((f) => f.rule === 'policy-applies-to-public');
  assert.equal(shown.length, 1);
  assert.equal(shown[0]!.start, mine[0]!.start);
  assert.match(shown[0]!.message, /^Policy "org_only" on public\.t00 \(and the same for public\.t01, public\.t02, public\.t03, public\.t04, public\.t05, public\.t06, public\.t07, public\.t08 and 3 more\) has no TO clause/);
  // (the other findings as they were, in order)
  const others = (fs: readonly Finding[]) => fs.filter((f) => f.rule !== 'policy-applies-to-public');
  assert.deepEqual(others(mergeRepeated(findings)), others(findings));
});

test('ok: three such findings, or findings with a fix, or messages differing in more than three words, are shown as they are', () => {
  const three = lint(`${tables.split('\n').slice(0, 3).join('\n')}\n${LOOP}`);
  assert.equal(three.filter((f) => f.rule === 'policy-applies-to-public').length, 3);
  assert.equal(mergeRepeated(three), three);
  const base = lint(`${tables}\n${LOOP}`).filter((f) => f.rule === 'policy-applies-to-public');
  const withFix = base.map((f) => ({ ...f, fixes: [{ title: 't', kind: 'safe' as const, edits: [] }] }));
  assert.equal(mergeRepeated(withFix).length, base.length);
  const different = base.map((f, i) => ({ ...f, message: `${'w '.repeat(i)}${f.message}` }));
  assert.equal(mergeRepeated(different).length, base.length);
});
