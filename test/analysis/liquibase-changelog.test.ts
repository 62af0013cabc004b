// A Liquibase project's master changelog decides the order its SQL files run in: `liquibase
// update` runs the changesets of each include, includeAll folder and sqlFile in the changelog's
// order, whatever the files' names. The path order put a hotfix file (`a_hotfix.sql`, included
// last) before the table's file: its DISABLE ROW LEVEL SECURITY failed there (42P01) and the lint
// saw a protected table; Liquibase runs it last and the table ends without row-level security.
// Files under the master's folder that no changelog runs are never run by Liquibase: parsed, not
// replayed, and said so.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  changelogRefs,
  followChangelog,
  liquibaseRanks,
  mayBeChangelog,
  parseYaml,
  runsOnPostgres,
  unrunFiles,
  type ChangelogDisk,
  type LiquibaseChangelog,
} from '../../server/src/analysis/liquibase-changelog.js';
import { migrationOrder, notReplayedReason } from '../../server/src/analysis/model.js';
import { Workspace } from '../../server/src/engine/workspace.js';
import { readLiquibaseChangelogs } from '../../server/src/io/files.js';
import { closeAll, getDb, inRollback, tryQuery } from '../helpers/pg.js';
import { findingsOf, initParser } from '../helpers/rule-proof.js';

before(initParser);
after(closeAll);

/** JHipster's master.xml, in small, with what Liquibase skips on PostgreSQL and a commented-out include. */
const MASTER_XML = `<?xml version="1.0" encoding="utf-8"?>
<databaseChangeLog
    xmlns="http://www.liquibase.org/xml/ns/dbchangelog"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-latest.xsd">
    <include file="config/liquibase/changelog/00000000000000_initial_schema.xml" relativeToChangelogFile="false"/>
    <!-- jhipster-needle-liquibase-add-changelog - JHipster will add liquibase changelogs here -->
    <!-- <include file="config/liquibase/changelog/old.xml"/> -->
    <include file="changelog/20240101_added_entity_Note.xml" relativeToChangelogFile="true"/>
    <includeAll path="config/liquibase/sql/" errorIfMissingOrEmpty="false" endsWithFilter=".sql" maxDepth="1"/>
    <changeSet id="rls" author="dev" dbms="postgresql, h2">
        <comment>Row-level security &amp; policies</comment>
        <sqlFile path="sql/rls.sql" relativeToChangelogFile="true" splitStatements="false"/>
        <rollback><sqlFile path="sql/rls-rollback.sql" relativeToChangelogFile="true"/></rollback>
    </changeSet>
    <changeSet id="h2" author="dev" dbms="h2"><sqlFile path="sql/h2.sql" relativeToChangelogFile="true"/></changeSet>
    <changeSet id="old" author="dev" ignore="true"><sqlFile path="sql/old.sql" relativeToChangelogFile="true"/></changeSet>
    <changeSet id="seed" author="dev" runOrder="last"><sqlFile dbms="!mysql" path="sql/seed.sql" relativeToChangelogFile="TRUE"/></changeSet>
    <include file="sql/mysql-only.sql" relativeToChangelogFile="true" ignore="true"/>
    <modifyChangeSets runWith="psql"><include file="sql/psql.sql" relativeToChangelogFile="true"/></modifyChangeSets>
</databaseChangeLog>
`;

/** Spring Boot's db.changelog-master.yaml, as its projects write it (comments, a list at the key's indentation, a flow map, quotes). */
const MASTER_YAML = `# Spring Boot: spring.liquibase.change-log = classpath:/db/changelog/db.changelog-master.yaml
databaseChangeLog:
- include:
    file: db/changelog/changes/001-tables.sql   # on the classpath
- include: { file: "v2/changelog-v2.xml", relativeToChangelogFile: yes }
- includeAll:
    path: 'migrations/'
    relativeToChangelogFile: true
- changeSet:
    id: 9
    author: dev
    comment: >
      grants, after
      the tables
    changes:
      - sqlFile:
          path: sql/grants.sql
          relativeToChangelogFile: true
          splitStatements: false
    rollback:
      - sqlFile:
          path: sql/revoke.sql
          relativeToChangelogFile: true
- changeSet:
    id: 10
    author: dev
    changes:
      - sql:
          sql: |
            -- include: not a reference
            SELECT 1;
`;

const MASTER_JSON = `{
  "databaseChangeLog": [
    { "include": { "file": "db/changelog/changes/001-tables.sql" } },
    { "includeAll": { "path": "migrations", "relativeToChangelogFile": "true", "errorIfMissingOrEmpty": false } },
    { "changeSet": { "id": "9", "author": "dev", "dbms": "postgresql", "changes": [ { "sqlFile": { "path": "sql/grants.sql", "relativeToChangelogFile": true } } ] } },
    { "modifyChangeSets": { "runWith": "psql", "include": { "file": "sql/psql.sql", "relativeToChangelogFile": true } } }
  ]
}
`;

describe("a changelog's references (XML, YAML, JSON)", () => {
  test('ok: XML (JHipster master.xml): include, includeAll and a changeSet\'s sqlFile in order, relativeToChangelogFile true and false; a comment, a rollback\'s sqlFile are none; ignore, a dbms leaving PostgreSQL out are skipped; runOrder kept', () => {
    assert.equal(mayBeChangelog(MASTER_XML, 'xml'), true);
    assert.deepEqual(changelogRefs(MASTER_XML, 'xml'), {
      refs: [
        { kind: 'include', path: 'config/liquibase/changelog/00000000000000_initial_schema.xml', relative: false, required: true },
        { kind: 'include', path: 'changelog/20240101_added_entity_Note.xml', relative: true, required: true },
        { kind: 'includeAll', path: 'config/liquibase/sql/', relative: false, required: false, minDepth: 1, maxDepth: 1, endsWith: '.sql' },
        { kind: 'sqlFile', path: 'sql/rls.sql', relative: true, required: true, split: { split: false } },
        { kind: 'sqlFile', path: 'sql/h2.sql', relative: true, required: true, skipped: 'dbms: h2' },
        { kind: 'sqlFile', path: 'sql/old.sql', relative: true, required: true, skipped: 'ignore: true' },
        { kind: 'sqlFile', path: 'sql/seed.sql', relative: true, required: true, runOrder: 'last' },
        { kind: 'include', path: 'sql/mysql-only.sql', relative: true, required: true, skipped: 'ignore: true' },
        { kind: 'include', path: 'sql/psql.sql', relative: true, required: true },
      ],
    });
  });

  test('ok: YAML (Spring Boot db.changelog-master.yaml): block and flow maps, a list at its key\'s indentation, quotes, yes as true, comments; a rollback\'s sqlFile and a sql change\'s text are none', () => {
    assert.equal(mayBeChangelog(MASTER_YAML, 'yaml'), true);
    assert.deepEqual(changelogRefs(MASTER_YAML, 'yaml'), {
      refs: [
        { kind: 'include', path: 'db/changelog/changes/001-tables.sql', relative: false, required: true },
        { kind: 'include', path: 'v2/changelog-v2.xml', relative: true, required: true },
        { kind: 'includeAll', path: 'migrations/', relative: true, required: true, minDepth: 1, maxDepth: Number.MAX_SAFE_INTEGER },
        { kind: 'sqlFile', path: 'sql/grants.sql', relative: true, required: true, split: { split: false } },
      ],
    });
    // (the YAML as read: a folded and a literal block scalar)
    const tree = parseYaml(MASTER_YAML) as { value: { databaseChangeLog: Array<Record<string, any>> } };
    assert.equal(tree.value.databaseChangeLog[3]!.changeSet.comment, 'grants, after the tables\n');
    assert.equal(tree.value.databaseChangeLog[4]!.changeSet.changes[0].sql.sql, '-- include: not a reference\nSELECT 1;\n');
  });

  test('ok: JSON: the same shapes; a JSON changelog Liquibase reads with its YAML parser (`[ "changeSet": {…} ]`) too', () => {
    assert.deepEqual(changelogRefs(MASTER_JSON, 'json'), {
      refs: [
        { kind: 'include', path: 'db/changelog/changes/001-tables.sql', relative: false, required: true },
        { kind: 'includeAll', path: 'migrations', relative: true, required: false, minDepth: 1, maxDepth: Number.MAX_SAFE_INTEGER },
        { kind: 'sqlFile', path: 'sql/grants.sql', relative: true, required: true },
        { kind: 'include', path: 'sql/psql.sql', relative: true, required: true },
      ],
    });
    assert.deepEqual(changelogRefs('{ "databaseChangeLog": [\n  "include": { "file": "a.sql" }\n]}\n', 'json'), { refs: [{ kind: 'include', path: 'a.sql', relative: false, required: true }] });
  });

  test('err: what Liquibase cannot read, or the lint cannot follow, is a problem (never a guess); a file whose root is not databaseChangeLog is no changelog', () => {
    const problem = (text: string, format: 'xml' | 'yaml' | 'json') => (changelogRefs(text, format) as { problem: string }).problem;
    assert.equal(problem('<databaseChangeLog><include file="a.sql"></databaseChangeLog>', 'xml'), 'not valid XML (</databaseChangeLog> where <include> is open at line 1)');
    assert.equal(problem('<databaseChangeLog>\n  <include file="a.sql"/>\n', 'xml'), 'not valid XML (<databaseChangeLog> is never closed)');
    assert.equal(problem('databaseChangeLog:\n  - include:\n      file: a.sql\n     relativeToChangelogFile: true\n', 'yaml'), 'not valid YAML (line 4: an indentation that fits no node)');
    assert.equal(problem('databaseChangeLog:\n  - include: *shared\n', 'yaml'), 'not valid YAML (line 2: an alias (*shared), which the lint does not follow)');
    assert.match(problem('{ "databaseChangeLog": [ ', 'json'), /^not valid JSON \(/);
    assert.equal(
      problem('<databaseChangeLog><include file="${changelog.dir}/a.sql"/></databaseChangeLog>', 'xml'),
      'include file="${changelog.dir}/a.sql" uses a changelog property (${…}), which the lint does not substitute',
    );
    assert.equal(
      problem('databaseChangeLog:\n  - includeAll:\n      path: changes/\n      resourceComparator: com.example.ByVersion\n', 'yaml'),
      'includeAll path="changes/" has resourceComparator="com.example.ByVersion", a Java class that orders or picks its files, which the lint cannot run',
    );
    assert.equal(problem('databaseChangeLog:\n  - include:\n      relativeToChangelogFile: true\n', 'yaml'), 'include without "file": Liquibase stops on it');
    // (a property in a reference Liquibase never runs on PostgreSQL: nothing to follow)
    assert.deepEqual(changelogRefs('<databaseChangeLog><changeSet id="1" author="a" dbms="oracle"><sqlFile path="${oracle.dir}/a.sql"/></changeSet></databaseChangeLog>', 'xml'), {
      refs: [{ kind: 'sqlFile', path: '${oracle.dir}/a.sql', relative: false, required: true, skipped: 'dbms: oracle' }],
    });
    assert.equal(changelogRefs('<project><modelVersion>4.0.0</modelVersion></project>', 'xml'), undefined);
    assert.equal(changelogRefs('spring:\n  liquibase:\n    change-log: classpath:/db/changelog/db.changelog-master.yaml\n', 'yaml'), undefined);
    assert.equal(mayBeChangelog('{ "name": "databaseChangeLog-tools" }', 'json'), false);
  });

  test("ok: dbms as Liquibase matches it on PostgreSQL (DatabaseList.definitionMatches, short name postgresql)", () => {
    for (const yes of [undefined, '', 'postgresql', 'h2, postgresql', 'all', '!mysql', 'PostgreSQL', '${dbms}']) assert.equal(runsOnPostgres(yes), true, String(yes));
    for (const no of ['h2', 'none', 'postgresql,none', '!postgresql', 'mysql,!h2']) assert.equal(runsOnPostgres(no), false, no);
  });
});

/** An in-memory disk: `/`-separated absolute paths; a folder exists when a file is under it. */
function memDisk(files: Record<string, string>): ChangelogDisk {
  const paths = Object.keys(files);
  return {
    read: async (p) => files[p],
    isFile: async (p) => p in files,
    list: async (d) => {
      const under = paths.filter((p) => p.startsWith(`${d}/`)).map((p) => p.slice(d.length + 1));
      return under.length ? under : undefined;
    },
  };
}

describe('following a master changelog', () => {
  const R = '/repo/src/main/resources';
  const C = `${R}/db/changelog`;
  /** the search path as the io layer makes it: the master's folder, then each folder above it */
  const SEARCH = [C, `${R}/db`, R, '/repo/src/main', '/repo/src', '/repo'];
  const FILES: Record<string, string> = {
    [`${C}/db.changelog-master.yaml`]: MASTER_YAML,
    [`${R}/db/changelog/changes/001-tables.sql`]: 'CREATE TABLE notes (id int);\n',
    [`${C}/v2/changelog-v2.xml`]:
      '<databaseChangeLog>\n  <include file="003-policies.sql" relativeToChangelogFile="true"/>\n  <include file="db/changelog/v2/002-columns.sql"/>\n  <include file="gone.sql" relativeToChangelogFile="true" errorIfMissing="false"/>\n</databaseChangeLog>\n',
    [`${C}/v2/002-columns.sql`]: '',
    [`${C}/v2/003-policies.sql`]: '',
    // (includeAll: every file under it, by path as Java compares strings; README.md skipped, a nested changelog followed)
    [`${C}/migrations/V10__b.sql`]: '',
    [`${C}/migrations/V2__a.sql`]: '',
    [`${C}/migrations/README.md`]: '',
    [`${C}/migrations/a.sql`]: '',
    [`${C}/migrations/sub/V1__c.sql`]: '',
    [`${C}/migrations/Z.yaml`]: 'databaseChangeLog:\n  - include:\n      file: ../sql/z-extra.sql\n      relativeToChangelogFile: true\n',
    [`${C}/sql/z-extra.sql`]: '',
    [`${C}/sql/grants.sql`]: '',
    [`${C}/sql/revoke.sql`]: '',
  };

  test('ok: nested includes (XML in YAML), includeAll (recursive, Java string order: V10 before V2, Z before a, sub/ last), sqlFile; relativeToChangelogFile true from the changelog\'s folder, false from the search path (the classpath root); a missing file with errorIfMissing=false is skipped', async () => {
    const run = await followChangelog(`${C}/db.changelog-master.yaml`, SEARCH, memDisk(FILES));
    assert.equal(run.problem, undefined);
    assert.deepEqual(run.sql, [
      `${C}/changes/001-tables.sql`,
      `${C}/v2/003-policies.sql`,
      `${C}/v2/002-columns.sql`,
      `${C}/migrations/V10__b.sql`,
      `${C}/migrations/V2__a.sql`,
      `${C}/sql/z-extra.sql`,
      `${C}/migrations/a.sql`,
      `${C}/migrations/sub/V1__c.sql`,
      `${C}/sql/grants.sql`,
      // (its changeSet 10's own SQL, last)
      `${C}/db.changelog-master.yaml`,
    ]);
    assert.deepEqual(run.changelogs, [`${C}/db.changelog-master.yaml`, `${C}/v2/changelog-v2.xml`, `${C}/migrations/Z.yaml`]);
  });

  test('err: relativeToChangelogFile false in a nested changelog is the search path\'s, not the changelog\'s folder: a file only beside it is not found, where Liquibase stops (told: missing; the files found keep their order, ADAM\'s sqlFiles made at build time); ambiguity and cycles are problems', async () => {
    const files = { ...FILES, [`${C}/v2/changelog-v2.xml`]: '<databaseChangeLog><include file="002-columns.sql"/></databaseChangeLog>' };
    const run = await followChangelog(`${C}/db.changelog-master.yaml`, SEARCH, memDisk(files));
    assert.equal(run.problem, undefined);
    assert.deepEqual(run.missing, [{
      path: `${C}/v2/changelog-v2.xml`,
      text: `include file="002-columns.sql" names a file the lint cannot find on the search path it assumes (${SEARCH.join(', ')}): Liquibase stops there, unless it is on a classpath the lint does not see (a jar, another module, a file made at build time)`,
    }]);
    assert.ok(!run.sql.includes(`${C}/v2/002-columns.sql`) && run.sql.includes(`${C}/sql/grants.sql`), run.sql.join('\n'));
    // (the same, relative to the changelog: found)
    const relativeRun = await followChangelog(`${C}/db.changelog-master.yaml`, SEARCH, memDisk({ ...files, [`${C}/v2/changelog-v2.xml`]: '<databaseChangeLog><include file="002-columns.sql" relativeToChangelogFile="true"/></databaseChangeLog>' }));
    assert.equal(relativeRun.problem, undefined);
    assert.ok(relativeRun.sql.includes(`${C}/v2/002-columns.sql`));
    // a path found under two folders of the search path
    const twice = await followChangelog(`${C}/db.changelog-master.yaml`, SEARCH, memDisk({ ...FILES, [`/repo/db/changelog/changes/001-tables.sql`]: '' }));
    assert.match(twice.problem!.text, /^include file="db\/changelog\/changes\/001-tables\.sql" names \/repo\/src\/main\/resources\/db\/changelog\/changes\/001-tables\.sql and \/repo\/db\/changelog\/changes\/001-tables\.sql, one under each of two folders/);
    // a changelog that includes itself
    const cycle = await followChangelog(`${C}/a.xml`, SEARCH, memDisk({ [`${C}/a.xml`]: '<databaseChangeLog><include file="b.xml" relativeToChangelogFile="true"/></databaseChangeLog>', [`${C}/b.xml`]: '<databaseChangeLog><include file="a.xml" relativeToChangelogFile="true"/></databaseChangeLog>' }));
    assert.deepEqual(cycle.problem, { path: `${C}/b.xml`, text: `includes ${C}/a.xml again, inside itself: Liquibase never ends reading it` });
  });

  test('ok: classpath: paths, the skipped files (dbms, ignore), runOrder last after everything', async () => {
    const J = '/app/src/main/resources/config/liquibase';
    const run = await followChangelog(`${J}/master.xml`, [J, '/app/src/main/resources/config', '/app/src/main/resources', '/app/src/main', '/app/src', '/app'], memDisk({
      [`${J}/master.xml`]: MASTER_XML.replace('config/liquibase/changelog/00000000000000_initial_schema.xml', 'classpath:config/liquibase/changelog/00000000000000_initial_schema.xml'),
      [`${J}/changelog/00000000000000_initial_schema.xml`]: '<databaseChangeLog/>',
      [`${J}/changelog/20240101_added_entity_Note.xml`]: '<databaseChangeLog/>',
      [`${J}/sql/rls.sql`]: '',
      [`${J}/sql/h2.sql`]: '',
      [`${J}/sql/old.sql`]: '',
      [`${J}/sql/seed.sql`]: '',
      [`${J}/sql/mysql-only.sql`]: '',
      [`${J}/sql/psql.sql`]: '',
      [`${J}/sql/nested/deep.sql`]: '',
    }));
    assert.equal(run.problem, undefined);
    // (includeAll config/liquibase/sql/ with maxDepth 1: its own files, not nested/)
    assert.deepEqual(run.sql.map((p) => p.slice(J.length + 1)), ['sql/h2.sql', 'sql/mysql-only.sql', 'sql/old.sql', 'sql/psql.sql', 'sql/rls.sql', 'sql/seed.sql']);
    const noAll = await followChangelog(`${J}/master.xml`, [J], memDisk({
      [`${J}/master.xml`]: MASTER_XML.replace(/<include file="config[^>]*>/, '').replace(/<includeAll[^>]*>/, ''),
      [`${J}/changelog/20240101_added_entity_Note.xml`]: '<databaseChangeLog/>',
      [`${J}/sql/rls.sql`]: '',
      [`${J}/sql/h2.sql`]: '',
      [`${J}/sql/old.sql`]: '',
      [`${J}/sql/seed.sql`]: '',
      [`${J}/sql/mysql-only.sql`]: '',
      [`${J}/sql/psql.sql`]: '',
    }));
    assert.equal(noAll.problem, undefined);
    assert.deepEqual(noAll.sql.map((p) => p.slice(J.length + 1)), ['sql/rls.sql', 'sql/psql.sql', 'sql/seed.sql']);
    assert.deepEqual(noAll.skipped.map((p) => p.slice(J.length + 1)), ['sql/h2.sql', 'sql/old.sql', 'sql/mysql-only.sql']);
  });
});

// ---------------------------------------------------------------------------------------------
// The replay

/** A Liquibase project whose changelog order is not the path order: the hotfix sorts first and runs last. */
const PROJECT_FILES: Record<string, string> = {
  'db/changelog/changes/a_hotfix.sql': '--liquibase formatted sql\n\n--changeset dev:3\nALTER TABLE public.notes DISABLE ROW LEVEL SECURITY;\n--rollback ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;\n',
  'db/changelog/changes/notes.sql':
    '--liquibase formatted sql\n\n--changeset dev:1\nCREATE TABLE public.notes (id bigint PRIMARY KEY, owner text NOT NULL);\n--rollback DROP TABLE public.notes;\n\n' +
    '--changeset dev:2\nALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;\nALTER TABLE public.notes FORCE ROW LEVEL SECURITY;\nCREATE POLICY notes_own ON public.notes FOR SELECT TO authenticated USING (owner = current_user);\nGRANT SELECT ON public.notes TO authenticated;\n' +
    '/* liquibase rollback\nDROP POLICY notes_own ON public.notes;\nALTER TABLE public.notes DISABLE ROW LEVEL SECURITY;\n*/\n',
};
const PATH_ORDER = ['db/changelog/changes/a_hotfix.sql', 'db/changelog/changes/notes.sql'];
const CHANGELOG_ORDER = ['db/changelog/changes/notes.sql', 'db/changelog/changes/a_hotfix.sql'];
const CHANGELOG: LiquibaseChangelog = { source: 'db/changelog/db.changelog-master.xml', folder: 'db/changelog/', files: CHANGELOG_ORDER };

test('ok: migrationOrder: the files a changelog runs take the places they held, in its order; other files keep theirs; ids are compared decoded (URIs)', () => {
  assert.deepEqual(migrationOrder(PATH_ORDER.map((file) => ({ file }))).map((f) => f.file), PATH_ORDER);
  assert.deepEqual(migrationOrder(PATH_ORDER.map((file) => ({ file })), undefined, undefined, undefined, undefined, undefined, [CHANGELOG]).map((f) => f.file), CHANGELOG_ORDER);
  const files = ['a_outside.sql', 'db/changelog/changes/a.sql', 'db/changelog/changes/b.sql', 'db/changelog/changes/c.sql', 'z_outside.sql'];
  const changelog: LiquibaseChangelog = { source: 'db/changelog/master.xml', folder: 'db/changelog/', files: ['db/changelog/changes/c.sql', 'z_outside.sql', 'db/changelog/changes/a.sql'] };
  assert.deepEqual(migrationOrder(files.map((file) => ({ file })), undefined, undefined, undefined, undefined, undefined, [changelog]).map((f) => f.file), [
    'a_outside.sql',
    'db/changelog/changes/c.sql',
    'db/changelog/changes/b.sql',
    'z_outside.sql',
    'db/changelog/changes/a.sql',
  ]);
  // (a changelog that could not be followed orders nothing)
  assert.deepEqual(migrationOrder(PATH_ORDER.map((file) => ({ file })), undefined, undefined, undefined, undefined, undefined, [{ ...CHANGELOG, files: [], unread: true }]).map((f) => f.file), PATH_ORDER);
  const ranks = liquibaseRanks([{ file: 'file:///w/db/my%20notes.sql' }, { file: 'file:///w/db/other.sql' }], [{ source: 'db/master.xml', folder: 'file:///w/db/', files: ['file:///w/db/my notes.sql'] }]);
  assert.deepEqual(ranks.map((r) => r?.place), [0, undefined]);
});

test('ok: unrunFiles: the files under a followed master\'s folder that no changelog runs; none under one not followed or naming a file the lint cannot find, nor under one whose files use Liquibase Pro\'s --include', () => {
  const files = ['db/changelog/changes/notes.sql', 'db/changelog/changes/a_hotfix.sql', 'db/changelog/changes/scratch.sql', 'db/other/x.sql', 'docker/init.sql'];
  const text = (f: string) => (f.endsWith('notes.sql') ? PROJECT_FILES['db/changelog/changes/notes.sql'] : '');
  assert.deepEqual([...unrunFiles(files, [CHANGELOG], text).keys()], ['db/changelog/changes/scratch.sql']);
  assert.deepEqual([...unrunFiles(files, [{ ...CHANGELOG, files: [], unread: true }], text).keys()], []);
  // (one naming a file the lint cannot find: its files keep their order, none is said not to run)
  assert.deepEqual([...unrunFiles(files, [{ ...CHANGELOG, partial: true }], text).keys()], []);
  const pro = (f: string) => (f.endsWith('notes.sql') ? '--liquibase formatted sql\n--include file:more.sql\n' : '');
  assert.deepEqual([...unrunFiles(files, [CHANGELOG], pro).keys()], []);
});

test("err → ok: a Liquibase project: in path order the hotfix's DISABLE runs before the table exists (PostgreSQL rejects it, 42P01) and nothing is reported; in the changelog's order it runs last and rls-disabled says so (PGlite: the table ends without row-level security); --rollback lines and a /* liquibase rollback */ block are never replayed; a file no changelog runs is not replayed, and said so", async () => {
  const ws = new Workspace();
  for (const [file, text] of Object.entries(PROJECT_FILES)) ws.setFile(file, text);
  ws.setFile('db/changelog/changes/scratch.sql', 'ALTER TABLE public.notes ADD COLUMN draft text;\n');
  assert.deepEqual(findingsOf(ws, 'rls-disabled'), []);
  // (path order: scratch.sql runs last)
  assert.deepEqual(ws.lint().model.tables.get('public.notes')!.columns, ['id', 'owner', 'draft']);
  ws.setLiquibaseChangelogs([CHANGELOG]);
  const found = findingsOf(ws, 'rls-disabled');
  assert.equal(found.length, 1);
  assert.equal(found[0]!.file, 'db/changelog/changes/a_hotfix.sql');
  assert.match(found[0]!.message, /^ALTER TABLE … DISABLE ROW LEVEL SECURITY is the last word on public\.notes in these migrations/);
  const notes = ws.lint().model.tables.get('public.notes')!;
  // (the rollback block's DROP POLICY and DISABLE, and the --rollback DROP TABLE, are comments: the policy stays, the table too)
  assert.deepEqual(notes.policies.map((p) => p.name), ['notes_own']);
  assert.equal(notes.rlsEnabled, false);
  // (scratch.sql is not replayed)
  assert.deepEqual(notes.columns, ['id', 'owner']);
  assert.equal(notReplayedReason(ws.parsed('db/changelog/changes/scratch.sql')!), "of a Liquibase project that no include, includeAll or sqlFile of its changelog db/changelog/db.changelog-master.xml runs (or only with ignore, or a dbms that leaves PostgreSQL out): liquibase update never runs them");
  // the changelog gone: path order again, scratch.sql replayed
  ws.setLiquibaseChangelogs([]);
  assert.deepEqual(findingsOf(ws, 'rls-disabled'), []);
  assert.equal(notReplayedReason(ws.parsed('db/changelog/changes/scratch.sql')!), undefined);

  // PostgreSQL, each file as Liquibase runs it (one after the other, stopping at an error)
  const db = await getDb();
  const runs = (order: string[]) =>
    inRollback(db, async (q) => {
      for (const file of order) {
        const r = await tryQuery(q, PROJECT_FILES[file]!);
        if (!r.ok) return { failed: file, code: r.error.code, message: r.error.message };
      }
      const [t] = await q(`SELECT relrowsecurity, (SELECT count(*)::int FROM pg_policies WHERE tablename = 'notes') AS policies FROM pg_class WHERE oid = 'public.notes'::regclass`);
      return { rls: t!.relrowsecurity, policies: t!.policies };
    });
  assert.deepEqual(await runs(PATH_ORDER), { failed: 'db/changelog/changes/a_hotfix.sql', code: '42P01', message: 'relation "public.notes" does not exist' });
  assert.deepEqual(await runs(CHANGELOG_ORDER), { rls: false, policies: 1 });
});

test('ok: readLiquibaseChangelogs (a temporary Spring Boot project): the master found above the files, a child changelog is no master, classpath paths from src/main/resources/; a changelog that cannot be followed is said once, orders nothing and marks nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pg-rls-lint-liquibase-'));
  try {
    const write = (name: string, text: string) => {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), text);
    };
    mkdirSync(join(dir, '.git'));
    const C = 'src/main/resources/db/changelog';
    write(`${C}/db.changelog-master.yaml`, 'databaseChangeLog:\n  - include:\n      file: db/changelog/changes/notes.sql\n  - include:\n      file: changes/hotfix-changelog.xml\n      relativeToChangelogFile: true\n');
    write(`${C}/changes/hotfix-changelog.xml`, '<databaseChangeLog><changeSet id="3" author="dev"><sqlFile path="a_hotfix.sql" relativeToChangelogFile="true"/></changeSet></databaseChangeLog>');
    for (const [file, text] of Object.entries(PROJECT_FILES)) write(`src/main/resources/${file}`, text);
    write(`${C}/changes/scratch.sql`, 'ALTER TABLE public.notes ADD COLUMN draft text;\n');
    // (not Liquibase's: a Maven pom, Spring's settings)
    write('pom.xml', '<project><artifactId>app</artifactId></project>');
    write('src/main/resources/application.yml', 'spring:\n  liquibase:\n    change-log: classpath:/db/changelog/db.changelog-master.yaml\n');
    const ids = (folder: string) => {
      const rel = relative(dir, folder).replace(/\\/g, '/');
      return { prefix: rel === '' ? '' : `${rel}/`, shown: rel === '' ? '' : `${rel}/` };
    };
    const sqlFiles = [...Object.keys(PROJECT_FILES).map((f) => `src/main/resources/${f}`), `${C}/changes/scratch.sql`];
    const logged: string[] = [];
    const read = new Set<string>();
    const changelogs = await readLiquibaseChangelogs(sqlFiles.map((f) => join(dir, f)), ids, (path, problem) => logged.push(`${relative(dir, path)}: ${problem}`), { top: dir, read });
    assert.equal(logged.length, 0);
    assert.deepEqual(changelogs, [{ source: `${C}/db.changelog-master.yaml`, folder: `${C}/`, files: [`${C}/changes/notes.sql`, `${C}/changes/a_hotfix.sql`], sqlFiles: { [`${C}/changes/a_hotfix.sql`]: { split: true } } }]);
    assert.deepEqual([...read].map((p) => relative(dir, p)).sort(), [`${C}/changes/hotfix-changelog.xml`, `${C}/db.changelog-master.yaml`]);
    // the lint of the project: the changelog's order, scratch.sql not replayed
    const ws = new Workspace();
    for (const f of sqlFiles) ws.setFile(f, f.endsWith('scratch.sql') ? 'ALTER TABLE public.notes ADD COLUMN draft text;\n' : PROJECT_FILES[f.slice('src/main/resources/'.length)]!);
    ws.setLiquibaseChangelogs(changelogs);
    assert.equal(findingsOf(ws, 'rls-disabled').length, 1);
    assert.match(notReplayedReason(ws.parsed(`${C}/changes/scratch.sql`)!) ?? '', /^of a Liquibase project that no include, includeAll or sqlFile of its changelog src\/main\/resources\/db\/changelog\/db\.changelog-master\.yaml runs/);
    // a property in a path: said once, and nothing ordered or marked
    write(`${C}/changes/hotfix-changelog.xml`, '<databaseChangeLog><changeSet id="3" author="dev"><sqlFile path="${sql.dir}/a_hotfix.sql"/></changeSet></databaseChangeLog>');
    const broken = await readLiquibaseChangelogs(sqlFiles.map((f) => join(dir, f)), ids, (path, problem) => logged.push(`${relative(dir, path)}: ${problem}`));
    assert.deepEqual(broken, [{ source: `${C}/db.changelog-master.yaml`, folder: `${C}/`, files: [], unread: true }]);
    assert.deepEqual(logged, [
      `${C}/changes/hotfix-changelog.xml: sqlFile path="\${sql.dir}/a_hotfix.sql" uses a changelog property (\${…}), which the lint does not substitute; the Liquibase changelog ${C}/db.changelog-master.yaml is not followed: its files are replayed in path order, and none is said not to run`,
    ]);
    ws.setLiquibaseChangelogs(broken);
    assert.deepEqual(findingsOf(ws, 'rls-disabled'), []);
    assert.equal(notReplayedReason(ws.parsed(`${C}/changes/scratch.sql`)!), undefined);
    // malformed: said with what is wrong (and the changelog it includes is no master of its own)
    logged.length = 0;
    write(`${C}/changes/hotfix-changelog.xml`, '<databaseChangeLog><changeSet id="3" author="dev"><sqlFile path="a_hotfix.sql" relativeToChangelogFile="true"/></changeSet></databaseChangeLog>');
    write(`${C}/db.changelog-master.yaml`, 'databaseChangeLog:\n  - include:\n      file: db/changelog/changes/notes.sql\n     relativeToChangelogFile: false\n');
    await readLiquibaseChangelogs(sqlFiles.map((f) => join(dir, f)), ids, (path, problem) => logged.push(`${relative(dir, path)}: ${problem}`));
    assert.deepEqual(logged, [`${C}/db.changelog-master.yaml: not valid YAML (line 4: an indentation that fits no node); the Liquibase changelog ${C}/db.changelog-master.yaml is not followed: its files are replayed in path order, and none is said not to run`]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("ok: Liquibase's formatted SQL: a changeset whose dbms: leaves PostgreSQL out or that says ignore:true, and the lines --ignoreLines skips, are never run on PostgreSQL: not replayed, and SQL for another database there is no syntax-error; dbms:postgresql and !h2 run", () => {
  const text = (second: string, other = 'CREATE TABLE notes_h2 (id INT AUTO_INCREMENT PRIMARY KEY);') =>
    '--liquibase formatted sql\n\n' +
    '--changeset dev:1\nCREATE TABLE public.notes (id bigint PRIMARY KEY, owner text NOT NULL);\nALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;\n\n' +
    `--changeset dev:2 ${second}\nALTER TABLE public.notes DISABLE ROW LEVEL SECURITY;\n${other}\n\n` +
    '--changeset dev:3 ignore:true\nALTER TABLE public.notes DISABLE ROW LEVEL SECURITY;\n\n' +
    "--changeset dev:4 dbms:postgresql runOnChange:true\nCREATE POLICY notes_own ON public.notes USING (owner = current_user);\n" +
    '--ignoreLines:start\nALTER TABLE public.notes DISABLE ROW LEVEL SECURITY;\n--ignoreLines:end\n' +
    '--ignoreLines:1\nALTER TABLE public.notes DISABLE ROW LEVEL SECURITY;\n' +
    '--rollback DROP POLICY notes_own ON public.notes;\n';
  for (const second of ['dbms:h2', 'dbms:mysql,h2', 'dbms:none', 'dbms:!postgresql', 'ignore:true']) {
    const ws = new Workspace();
    ws.setFile('db/changelog/changes/notes.sql', text(second));
    const notes = ws.lint().model.tables.get('public.notes')!;
    assert.equal(notes.rlsEnabled, true, second);
    assert.deepEqual(notes.policies.map((p) => p.name), ['notes_own'], second);
    assert.deepEqual(findingsOf(ws, 'syntax-error'), [], second);
    assert.deepEqual(findingsOf(ws, 'rls-disabled'), [], second);
    assert.deepEqual(findingsOf(ws, 'not-postgresql'), [], second);
    assert.equal(ws.lint().model.tables.has('public.notes_h2'), false);
  }
  // (run on PostgreSQL: the DISABLE is replayed; MySQL's AUTO_INCREMENT makes the file MySQL's, a trailing comma is a syntax error)
  const mysql = new Workspace();
  mysql.setFile('db/changelog/changes/notes.sql', text('dbms:postgresql,mysql'));
  assert.equal(findingsOf(mysql, 'not-postgresql').length, 1);
  for (const second of ['dbms:postgresql', 'dbms:!h2', 'dbms:all', 'context:dev', '']) {
    const ws = new Workspace();
    ws.setFile('db/changelog/changes/notes.sql', text(second, 'CREATE TABLE notes_h2 (id int PRIMARY KEY,);'));
    assert.equal(ws.lint().model.tables.get('public.notes')!.rlsEnabled, false, second);
    assert.equal(findingsOf(ws, 'syntax-error').length, 1, second);
  }
  // (not formatted SQL: such comments are only comments)
  const ws = new Workspace();
  ws.setFile('db/notes.sql', text('dbms:h2', 'CREATE TABLE notes_h2 (id int PRIMARY KEY,);').replace('--liquibase formatted sql', '-- notes'));
  assert.equal(ws.lint().model.tables.get('public.notes')!.rlsEnabled, false);
});

test("ok: a changeset's line as Liquibase's CHANGE_SET_PATTERN matches it: indented, an author with spaces or in double quotes, spaces after the colon: its dbms: is honoured and it ends the statement before it (its endDelimiter too); a `--changeset` comment without author:id is no changeset line", () => {
  const text = (line: string) =>
    '--liquibase formatted sql\n' +
    '--changeset dev:1 endDelimiter:/\nCREATE TABLE public.notes (id bigint PRIMARY KEY, owner text NOT NULL)\n/\nALTER TABLE public.notes ENABLE ROW LEVEL SECURITY\n/\n' +
    // (no delimiter ends the ALTER before the changeset line: the line does)
    `${line}\nALTER TABLE public.notes DISABLE ROW LEVEL SECURITY;\nCREATE TABLE notes_h2 (id INT AUTO_INCREMENT PRIMARY KEY);\n`;
  for (const line of ['  --changeset dev:2 dbms:h2', '\t-- changeset John Doe:2 dbms:h2', '--changeset "John Doe":2 dbms:h2', '--changeset dev: 2 dbms:h2']) {
    const ws = new Workspace();
    ws.setFile('db/changelog/changes/notes.sql', text(line));
    assert.equal(ws.lint().model.tables.get('public.notes')!.rlsEnabled, true, line);
    assert.deepEqual(findingsOf(ws, 'syntax-error'), [], line);
    assert.deepEqual(findingsOf(ws, 'not-postgresql'), [], line);
  }
  // (`--changeset` with no author:id: Liquibase refuses the file; here only a comment in changeset 1, whose DISABLE then runs)
  const ws = new Workspace();
  ws.setFile('db/changelog/changes/notes.sql', text('--changeset notes').replace('CREATE TABLE notes_h2 (id INT AUTO_INCREMENT PRIMARY KEY);\n', ''));
  assert.equal(ws.lint().model.tables.get('public.notes')!.rlsEnabled, false);
});
