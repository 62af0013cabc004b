// What a DO block's dynamic SQL may drop where the replay cannot see it (analysis/unseen.ts
// dropsIn, analysis/columns.ts mayChangeColumns): a DROP VIEW takes no table (with CASCADE it
// takes the policies that read the view, and no other), and changes no column. fantastic-auth's and
// circle-marketplace's blocks dropping views hid a second CREATE POLICY (42710), a second CREATE
// TABLE (42P07) and a policy naming a column nothing has (42703). Executed on PGlite.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, getDb, inRollback, runEachStatement } from '../helpers/pg.js';
import { initParser, lintFiles } from '../helpers/rule-proof.js';

before(initParser);
after(closeAll);

const VIEW = `CREATE TABLE accounts (id int PRIMARY KEY, tenant text);
ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
CREATE POLICY accounts_tenant ON accounts USING (tenant = current_setting('app.tenant', true));
CREATE VIEW accounts_admin AS SELECT id FROM accounts;
`;
const dropping = (sql: string) => `DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_class WHERE relkind = 'v' AND relname = 'accounts_admin') THEN
    EXECUTE '${sql}';
  END IF;
END $$;
`;
const AGAIN = `CREATE TABLE accounts (id int PRIMARY KEY, tenant text);
CREATE POLICY accounts_tenant ON accounts USING (tenant = current_setting('app.tenant', true));
`;
const UNKNOWN = `CREATE POLICY accounts_admin_view ON accounts FOR SELECT USING (is_admin = true);
`;
/** The rules that speak of what existed before, on the view's file, `between`, then `after`. */
const rulesOf = (between: string, after = AGAIN) =>
  lintFiles(
    [
      { file: 'migrations/1.sql', text: VIEW },
      { file: 'migrations/2.sql', text: between },
      { file: 'migrations/3.sql', text: after },
    ],
    'table-already-exists',
  )
    .findings.map((f) => f.rule)
    .filter((r) => r === 'table-already-exists' || r === 'policy-already-exists' || r === 'policy-unknown-column')
    .sort();

test('err: a DO block dropping a view (with or without CASCADE) takes no table, and no policy but those reading the view (with CASCADE): the CREATE TABLE, CREATE POLICY and unknown column after it are reported; a dynamic DROP TABLE, or ADD COLUMN, leaves them alone', async () => {
  assert.deepEqual(rulesOf(dropping('DROP VIEW accounts_admin')), ['policy-already-exists', 'table-already-exists']);
  // (CASCADE takes only the policies that read the view: accounts_tenant does not, its collision
  // stays; one reading the view is not claimed)
  assert.deepEqual(rulesOf(dropping('DROP VIEW accounts_admin CASCADE')), ['policy-already-exists', 'table-already-exists']);
  const readingView = `${VIEW}CREATE POLICY accounts_admin_only ON accounts FOR DELETE USING (EXISTS (SELECT 1 FROM accounts_admin));\n`;
  const again = 'CREATE POLICY accounts_admin_only ON accounts FOR DELETE USING (false);\n';
  const drop = dropping('DROP VIEW accounts_admin CASCADE');
  assert.deepEqual(lintFiles([{ file: 'migrations/1.sql', text: readingView }, { file: 'migrations/2.sql', text: drop }, { file: 'migrations/3.sql', text: again }], 'policy-already-exists').mine, []);
  assert.deepEqual(rulesOf(dropping("DROP TABLE ' || 'accounts")), []);
  assert.deepEqual(rulesOf(dropping('DROP VIEW accounts_admin'), UNKNOWN), ['policy-unknown-column']);
  assert.deepEqual(rulesOf(dropping('ALTER TABLE accounts ADD COLUMN is_admin boolean'), UNKNOWN), [], 'a dynamic ADD COLUMN may add it');
  const db = await getDb();
  await inRollback(db, async (q) => {
    const errors = await runEachStatement(q, [VIEW, dropping('DROP VIEW accounts_admin'), AGAIN, UNKNOWN].join('\n'));
    // (the CREATE TABLE and CREATE POLICY again, and the policy naming a column no table has)
    assert.deepEqual(errors.map((e) => e.code), ['42P07', '42710', '42703']);
  });
  // with CASCADE the same, for the policy not reading the view; the one reading it went with it
  await inRollback(db, async (q) => {
    const errors = await runEachStatement(q, [readingView, drop, AGAIN, again].join('\n'));
    assert.deepEqual(errors.map((e) => e.code), ['42P07', '42710']);
  });
});
