import type { Config } from '../analysis/config.js';
import { foreignDialect } from '../analysis/dialect.js';
import { setsCheckOff } from '../analysis/ast.js';
import { doBlockAround, keywordKind, KW_COL_NAME, KW_RESERVED, sqlTokens } from '../analysis/parse.js';
import { liquibaseSkippedAt } from '../analysis/liquibase-changelog.js';
import { downMarkerAt, isContextOnlySchema, type Model } from '../analysis/model.js';
import type { Node, ParseError, ParsedFile } from '../analysis/types.js';
import { defineRule, type Fix, type Report } from './types.js';
import { whatIsLost } from './policy-already-exists.js';
import { supabaseMigration } from './lib/util.js';

export const syntaxError = defineRule({
  meta: {
    id: 'syntax-error',
    description: 'A statement PostgreSQL cannot parse.',
    severity: 'error',
    category: 'syntax',
    fixKind: 'unsafe',
    guards: 'PostgreSQL rejects the statement (SQLSTATE 42601) and a migration stops there.',
    shownBy: { statement: ['42601'] },
  },
  check({ model, config, report }) {
    for (const f of model.files) {
      // (a file written for another database: not-postgresql says so, once)
      if (f.errors.length === 0 || foreignDialect(f)) continue;
      // (a schema written out for reading, `USER-DEFINED` and `ARRAY` column types: never run, model.ts)
      if (isContextOnlySchema(f.text)) continue;
      // (a Liquibase changeset for another database, or one it ignores: PostgreSQL never sees its SQL)
      const elsewhere = liquibaseSkippedAt(f);
      // (git's merge conflict markers left in the file: one finding per conflict, for every error in it)
      const conflicts = conflictBlocks(f.text);
      const told = new Set<ConflictBlock>();
      for (const e of f.errors) {
        // (pg-rls-lint's own limit, not PostgreSQL's error: statement-not-analysed)
        if (e.limit) continue;
        if (elsewhere(e.start)) continue;
        const conflict = conflicts.length !== 0 ? conflicts.find((b) => b.start <= e.start && e.start < b.end) : undefined;
        if (conflict) {
          if (told.has(conflict)) continue;
          told.add(conflict);
          const tx = abortedTransaction(f, e.start);
          report({
            file: f.file,
            start: conflict.start,
            end: conflict.firstLineEnd,
            message:
              `Unresolved git merge conflict (${conflict.markers.map((m) => `\`${m.text}\` on line ${lineOf(f.text, m.at)}`).join(', ')}): the file holds both sides of a merge with git's conflict markers between them, and PostgreSQL reads each marker line as the start of the statement after it and rejects that statement (${shortened(e.message)}, SQLSTATE 42601)${tx}; a migration tool stops at the first of them. ` +
              `Keep the side you want, delete the other one and the marker lines. Until then the other findings between the markers describe both sides as written; the other statements of the file are still checked.`,
          });
          continue;
        }
        const later = laterVersionsOnly(e, config);
        if (later) {
          report({ ...errorSpan(f, e), message: later, severity: 'warning' });
          continue;
        }
        // (in a function a DO block makes with EXECUTE only in an IF branch, or under an EXCEPTION
        // clause catching 42601: PostgreSQL parses that body when the EXECUTE runs, not the block)
        const onlyRun = executedOnly(f, e.start);
        if (onlyRun) {
          report({
            ...errorSpan(f, e),
            severity: 'warning',
            message:
              `${shortened(e.message)} (SQLSTATE 42601), in a function that a DO block makes with EXECUTE ${onlyRun === 'branch' ? 'in one branch of an IF' : 'under an EXCEPTION clause that catches this error'}: PostgreSQL parses that text only when the EXECUTE runs, ` +
              (onlyRun === 'branch'
                ? `so the DO block fails (and the migration stops there) only where that branch is taken; a database where another branch runs never sees this error. `
                : `and the clause catches the error: the DO block goes on without making the function. `) +
              `Fix the body all the same, so that the function can be made wherever the migration runs.`,
          });
          continue;
        }
        const off = bodyUnchecked(f, e.start);
        const ine = off === undefined ? noIfNotExists(f.file, f.text, e.start) : undefined;
        // (in a dbmate / goose / sql-migrate / node-pg-migrate down section: only a rollback runs it)
        const down = off === undefined ? downMarkerAt(f, e.start) : undefined;
        // (inside an explicit transaction the error aborts: what psql then does, for the message)
        const tx = off === undefined && !ine && !down ? abortedTransaction(f, e.start) : '';
        // (what the error is, where the text shows it: explained's explainers)
        const why = off === undefined && !ine && !down ? explained(f, e, tx) : undefined;
        if (why) {
          report(tx ? why : withFileLost(model, f, e, why));
          continue;
        }
        report({
          file: f.file,
          start: ine?.start ?? e.start,
          end: ine?.end ?? errorSpan(f, e).end,
          message: ine
            ? `${shortened(e.message)} (SQLSTATE 42601): PostgreSQL has no ${ine.what} … IF NOT EXISTS; it takes IF for the name and fails on what follows, and the migration stops there. ${ine.instead}`
            : off === undefined
              ? down
                ? `${shortened(e.message)} (SQLSTATE 42601), in the file's \`${down}\` section, which migrating up does not run: PostgreSQL rejects this statement when the migration is rolled back, and the rollback stops there. The other statements of the file are still checked.`
                : tx
                  ? `${shortened(e.message)} (SQLSTATE 42601). PostgreSQL would reject this statement${tx}; a migration tool stops here. The other statements of the file, the transaction's too, are still checked as written.`
                  : supabaseMigration(f.file)?.applied
                    ? // (a Supabase migration: the CLI runs the file in one transaction — jaynwanze/interviewgrade's
                      // 20230116105327_tables.sql, whose CREATE TABLE products has a column named 'price_id' in
                      // single quotes, takes every table of the file with it)
                      `${shortened(e.message)} (SQLSTATE 42601). PostgreSQL would reject this statement, and a migration tool stops here` +
                      `${whatIsLost(model, { file: f.file, start: e.start, end: e.end }, f.file, 'this file')}The other statements of the file are still checked as written.`
                    : `${shortened(e.message)} (SQLSTATE 42601). PostgreSQL would reject this statement; the other statements of the file are still checked.`
              : `${shortened(e.message)} (SQLSTATE 42601). check_function_bodies is off (line ${lineOf(f.text, off)}): PostgreSQL creates the function without parsing its body, and every call of it fails with this error` +
                (survives(model, f.file, e.start) ? '.' : ' until a later migration replaces or drops it, as these migrations do (the function they leave is another definition).'),
          fixes: ine?.fix ? [ine.fix] : undefined,
        });
      }
    }
  },
});

/**
 * What a syntax error PostgreSQL raises in a statement that runs (not in a down section, not after
 * `check_function_bodies = false`, no IF NOT EXISTS it lacks) is, where the text shows it: the
 * finding to report, or undefined where this explainer does not know the error. `tx`:
 * abortedTransaction's words. Asked in order; the first that knows an error reports it.
 */
type Explainer = (f: ParsedFile, e: ParseError, tx: string) => Report | undefined;

/** Where a finding on the error itself goes: from the offset PostgreSQL names, at least one character. */
const errorSpan = (f: ParsedFile, e: ParseError): { file: string; start: number; end: number } => ({ file: f.file, start: e.start, end: Math.max(e.end, e.start + 1) });

/** abortedTransaction's words, and that a migration tool stops there ('' outside a transaction). */
const stopsHere = (tx: string): string => (tx ? `${tx}; a migration tool stops here` : '');

const EXPLAINERS: readonly Explainer[] = [
  // (a diff saved as the migration: an editor's or a tool's hunks, `@@ .. @@` headers and lines
  // marked + and -, where the SQL after the change belongs. PGlite: 42601 at or near "@@", then at
  // each "+" line's statement; mpbhealth/CTO-Dashboard's 20250731141206_gentle_bush.sql, a bolt.new
  // patch of a migration written as the migration)
  (f, e, tx) => {
    const line = f.text.slice(f.text.lastIndexOf('\n', e.start - 1) + 1, e.start + 2);
    if (!/^(?:@@|\+|-(?!-))/.test(line) || !/^@@ [^\n]*@@/m.test(f.text)) return undefined;
    return {
      ...errorSpan(f, e),
      message:
        `${shortened(e.message)} (SQLSTATE 42601): this file holds a diff — hunks with \`@@ … @@\` headers and lines marked + and - — not the migration's SQL, so PostgreSQL rejects it at its markers${stopsHere(tx)}. ` +
        `Write the SQL as it reads after the change: the lines marked + without their +, the unmarked lines without their leading space, and none of the lines marked -. The other statements of the file are still checked.`,
    };
  },
  // (a byte-order mark inside the file, where one that began with it was pasted or joined: invisible,
  // and PostgreSQL's scanner takes its bytes, as any byte above 0x7F, for letters of a name. PGlite:
  // `…;\n\uFEFF-- c\nINSERT …` fails with 42601 at or near "\uFEFF", `\uFEFFINSERT …` at or near "\uFEFFINSERT";
  // guzellik-randevu-ui's archive/migration-history/04-Seed-Data.sql, seed files joined into one)
  (f, e, tx) => {
    if (e.start <= 0 || f.text.charCodeAt(e.start) !== 0xfeff) return undefined;
    return {
      file: f.file,
      start: e.start,
      end: e.start + 1,
      message:
        `${shortened(e.message)} (SQLSTATE 42601): the error is at U+FEFF, a byte-order mark, a character most editors do not show — left where a file that began with one was pasted or joined into this one. ` +
        `PostgreSQL reads it as a letter of a name, so the statement it starts, the one after it, is rejected${stopsHere(tx)}. Delete the character. The other statements of the file are still checked.`,
      fixes: [{ title: 'Delete the byte-order mark (U+FEFF)', kind: 'unsafe', edits: [{ file: f.file, start: e.start, end: e.start + 1, newText: '' }] }],
    };
  },
  // (a body quoted with a number where `$$` belongs: a shell expanded `$$` to its process id when it
  // wrote the file — an unquoted heredoc, `cat <<EOF`. PGlite: `… LANGUAGE sql STABLE AS 271 select …`
  // and the `271;` left after the body's first `;` each fail with 42601 at or near "271";
  // bniceley50/mental-scribe-app's supabase/migrations/20251014_password_reset_rl.sql)
  (f, e, tx) => {
    const q = numberQuotedBody(f.text, e.start);
    if (!q) return undefined;
    const where = `at line ${lineOf(f.text, q.open)} and line ${lineOf(f.text, q.close)}`;
    const why =
      `most likely a shell's doing: it replaces \`$$\` by its process id in an unquoted heredoc (\`cat <<EOF\`) or a double-quoted string, so the file was written with ${q.number} for $$`;
    const fix: Fix = {
      title: `Write $$ for ${q.number} ${where}`,
      kind: 'unsafe',
      edits: [
        { file: f.file, start: q.open, end: q.open + q.number.length, newText: '$$' },
        { file: f.file, start: q.close, end: q.close + q.number.length, newText: '$$' },
      ],
    };
    return {
      ...errorSpan(f, e),
      message:
        (e.start === q.open
          ? `${shortened(e.message)} (SQLSTATE 42601): the body of this ${q.what} is quoted with ${q.number} ${where}, where $$ belongs — ${why}. PostgreSQL takes ${q.number} for a number, not a quote, and rejects the statement, so the ${q.what} is never made${stopsHere(tx)}. `
          : `${shortened(e.message)} (SQLSTATE 42601): ${q.number} here closes the body of the ${q.what} opened with ${q.number} at line ${lineOf(f.text, q.open)}, where $$ belongs — ${why}. PostgreSQL rejects that statement at its ${q.number}, ends it at the body's first ';', and rejects this rest too${stopsHere(tx)}. `) +
        `Write $$ in both places (and quote the heredoc's delimiter, <<'EOF', so that the shell leaves the text alone). The other statements of the file are still checked.`,
      fixes: [fix],
    };
  },
  // (the statement before has no `;`: PostgreSQL reads both as one, and neither runs)
  (f, e, tx) => {
    const semi = e.unterminated;
    if (semi) {
      const before = `the statement before it, from line ${lineOf(f.text, semi.start)}, does not end with ';', so PostgreSQL reads the two as one statement and rejects it: neither runs`;
      return {
        ...errorSpan(f, e),
        message: tx
          ? `${shortened(e.message)} (SQLSTATE 42601): ${before}${tx}; a migration tool stops here. End that statement with ';'. The other statements of the file, the transaction's too, are still checked as written.`
          : `${shortened(e.message)} (SQLSTATE 42601): ${before}. End that statement with ';'. The other statements of the file are still checked.`,
        fixes: [{ title: `End the statement of line ${lineOf(f.text, semi.start)} with ';'`, kind: 'unsafe', edits: [{ file: f.file, start: semi.end, end: semi.end, newText: ';' }] }],
      };
    }
    return undefined;
  },
  // (GRANT / REVOKE … ON VIEW: no such object type)
  (f, e, tx) => {
    const onView = grantOnView(f.text, e.start);
    if (onView) {
      return {
        file: f.file,
        start: onView.start,
        end: onView.end,
        message:
          `${shortened(e.message)} (SQLSTATE 42601): ${onView.verb} has no ON ${onView.written}: PostgreSQL takes ${onView.written === 'VIEW' ? 'VIEW for the name of a table' : 'MATERIALIZED for the name of a table'} and fails on what follows, so the statement changes no privilege${stopsHere(tx)}. ` +
          `Write ON TABLE (or no object type): it applies to views and materialized views too. The other statements of the file are still checked.`,
        fixes: [{ title: `Write ON TABLE instead of ON ${onView.written}`, kind: 'unsafe', edits: [{ file: f.file, start: onView.start, end: onView.end, newText: 'TABLE' }] }],
      };
    }
    return undefined;
  },
  // (CREATE TRIGGER … AFTER SELECT: no trigger fires on a read)
  (f, e, tx) => {
    if (selectTrigger(f.text, e.start)) {
      return {
        file: f.file,
        start: e.start,
        end: e.start + 6,
        message:
          `${shortened(e.message)} (SQLSTATE 42601): PostgreSQL has no trigger on SELECT — a trigger fires on INSERT, UPDATE, DELETE or TRUNCATE only — so the trigger is never created${stopsHere(tx)}, and no trigger can record or refuse reads. ` +
          `To log reads, use an audit extension such as pgAudit (its object audit logs each SELECT of the table), or serve reads through a function that records them. The other statements of the file are still checked.`,
      };
    }
    return undefined;
  },
  // (MySQL's index clause in a CREATE TABLE, with DESC, UNIQUE, FULLTEXT: table-inline-index has the plain one)
  (f, e, tx) => {
    const inline = inlineIndexClause(f.text, e.start);
    if (inline) {
      return {
        ...errorSpan(f, e),
        message:
          `${shortened(e.message)} (SQLSTATE 42601), in \`${inline.written}\`: that is MySQL's index clause, and PostgreSQL has no index clause in CREATE TABLE, so the table is never created${stopsHere(tx)}. ` +
          `Write the index as a statement of its own after the table: \`CREATE ${inline.unique ? 'UNIQUE ' : ''}INDEX ${inline.name} ON ${inline.table} (…);\`. The other statements of the file are still checked.`,
      };
    }
    return undefined;
  },
  // (ROLLBACK TO SAVEPOINT in a PL/pgSQL body: a BEGIN … EXCEPTION block is its savepoint)
  (f, e, tx) => {
    const rollback = /^in PL\/pgSQL body: syntax error at or near "TO"$/.test(e.message) ? /\bROLLBACK\s+$/i.exec(f.text.slice(Math.max(0, e.start - 40), e.start)) : null;
    if (rollback) {
      return {
        file: f.file,
        start: e.start - rollback[0].length,
        end: Math.max(e.end, e.start + 2),
        message:
          `${shortened(e.message)} (SQLSTATE 42601): PL/pgSQL has no ROLLBACK TO SAVEPOINT, so the ${doBlockAround(f, e.start) ? 'DO block' : 'function'} is rejected${stopsHere(tx)}; nor can it run SAVEPOINT or RELEASE SAVEPOINT (0A000 unsupported transaction command in PL/pgSQL, when they run). ` +
          `A BEGIN … EXCEPTION … END block is PL/pgSQL's savepoint: when its handler runs, what the block changed is rolled back. Remove the ROLLBACK TO and the SAVEPOINT, and put the statements to undo in such a block. The other statements of the file are still checked.`,
      };
    }
    return undefined;
  },
  // (CREATE OR REPLACE POLICY: no such statement)
  (f, e, tx) => {
    const r = orReplacePolicy(f.text, e.start);
    if (!r) return undefined;
    const target = r.name && r.table ? `DROP POLICY IF EXISTS ${r.name} ON ${r.table}; then CREATE POLICY ${r.name} …` : 'DROP POLICY IF EXISTS name ON table; then CREATE POLICY …';
    return {
      file: f.file,
      start: r.start,
      end: r.end,
      message:
        `${shortened(e.message)} (SQLSTATE 42601): PostgreSQL has no CREATE OR REPLACE POLICY (OR REPLACE exists for functions, procedures, views, triggers, rules and a few other objects, not policies), so the policy is never created${stopsHere(tx)}. ` +
        `Drop it first: ${target} (or ALTER POLICY to change an existing policy's roles, USING and WITH CHECK). The other statements of the file are still checked.`,
      fixes:
        r.name && r.table
          ? [{
              title: `DROP POLICY IF EXISTS ${r.name} ON ${r.table}, then CREATE POLICY (replaces a policy of that name)`,
              kind: 'unsafe',
              edits: [
                { file: f.file, start: r.head, end: r.head, newText: `DROP POLICY IF EXISTS ${r.name} ON ${r.table};\n` },
                { file: f.file, start: r.start, end: r.end, newText: 'POLICY' },
              ],
            }]
          : undefined,
    };
  },
  // (a keyword PostgreSQL takes for no parameter's name: `position`, `user`, `order`)
  (f, e, tx) => {
    const keyword = keywordParameter(f.text, e.start);
    if (keyword) {
      const { word } = keyword;
      return {
        file: f.file,
        start: keyword.start,
        end: keyword.start + word.length,
        message:
          `${shortened(e.message)} (SQLSTATE 42601): \`${word}\` is a keyword that PostgreSQL does not take as a parameter's name${keyword.start < e.start ? ` (it reads \`${word}\` as the parameter's type, and fails at the word after it)` : ''}, so the ${keyword.routine} is never created${stopsHere(tx)}. ` +
          `Rename the parameter (\`p_${word.toLowerCase()}\`) where it is declared and used, or write it in double quotes (\`"${word.toLowerCase()}"\`) in both places. The other statements of the file are still checked.`,
      };
    }
    return undefined;
  },
  // (UNIQUE (…) WHERE …: a constraint has no WHERE; a partial unique index has)
  (f, e, tx) => {
    const partial = partialUnique(f.text, e.start);
    if (partial) {
      return {
        file: f.file,
        start: e.start,
        end: e.start + 5,
        message:
          `${shortened(e.message)} (SQLSTATE 42601): a ${partial} constraint takes no WHERE — PostgreSQL has no partial ${partial} constraint — so the statement fails${stopsHere(tx)} and nothing of it is made. ` +
          `For uniqueness among the rows a condition selects, create a partial unique index after the table: CREATE UNIQUE INDEX <name> ON <table> (<columns>) WHERE <condition>; ` +
          `(or, as a constraint, EXCLUDE USING btree (<column> WITH =, …) WHERE (<condition>)). The other statements of the file are still checked.`,
      };
    }
    return undefined;
  },
  // (RAISE or PERFORM as a statement of the file: PL/pgSQL's, which SQL does not have)
  (f, e, tx) => {
    const plpgsql = plpgsqlStatementOutside(f, e.start);
    if (plpgsql) {
      return {
        file: f.file,
        start: e.start,
        end: e.start + plpgsql.length,
        message:
          `${shortened(e.message)} (SQLSTATE 42601): ${plpgsql} is a statement of PL/pgSQL, not of SQL: outside a function or DO block PostgreSQL does not know it and rejects the statement${stopsHere(tx)}. ` +
          (plpgsql === 'RAISE'
            ? `To print a message from a migration, put it in a DO block (DO $$ BEGIN RAISE NOTICE '…'; END $$;), or drop it.`
            : `Outside PL/pgSQL, run the query with SELECT instead of PERFORM.`) +
          ` The other statements of the file are still checked.`,
      };
    }
    return undefined;
  },
  // (SET name = f(…): SET takes a constant, not an expression; set_config() takes one)
  (f, e, tx) => {
    const set = setExpression(f, e.start);
    if (!set) return undefined;
    const call = `SELECT set_config('${set.name}', ${set.value.length <= 120 ? asText(set.value) : '<the expression>::text'}, ${set.local ? 'true' : 'false'})`;
    return {
      ...errorSpan(f, e),
      message:
        `${shortened(e.message)} (SQLSTATE 42601): SET takes its value as a constant — a string, a number or a name, or a list of them — not an expression: a function call, a sub-select, a cast or an operator is rejected, ` +
        `so PostgreSQL runs nothing of this statement and ${set.name} keeps the value it had (none, in a new session)${stopsHere(tx)}. ` +
        `To set it to what an expression computes, call set_config(), whose value is one: ${call}${set.local ? ' (true: until the end of the transaction, as SET LOCAL)' : ' (false: for the session, as SET; true would last until the end of the transaction, as SET LOCAL)'}. ` +
        `The other statements of the file are still checked.`,
    };
  },
  // (CREATE POLICY … USING f(x): the condition of USING and WITH CHECK is written in parentheses)
  (f, e, tx) => {
    const bare = bareCondition(f.text, e.start);
    if (bare) {
      return {
        ...errorSpan(f, e),
        message:
          `${shortened(e.message)} (SQLSTATE 42601): ${bare.clause} takes its condition in parentheses, ${bare.clause} (<condition>), so PostgreSQL rejects the ${bare.verb} POLICY and the policy is ${bare.verb === 'CREATE' ? 'never created' : 'left as it was'}${stopsHere(tx)}. ` +
          `Write the condition after ${bare.clause} in parentheses. The other statements of the file are still checked.`,
      };
    }
    return undefined;
  },
  // (`'user\'s'`: a backslash does not escape a quote in a standard string; the string ends there)
  (f, e, tx) => {
    const quote = backslashQuote(f.text, e.start);
    if (quote !== undefined) {
      return {
        ...errorSpan(f, e),
        message:
          `${shortened(e.message)} (SQLSTATE 42601), after \`\\'\`: a backslash does not escape a quote in a string constant '…': with standard_conforming_strings on (PostgreSQL's default since 9.1) it is an ordinary character, so the string ends at the quote after it and PostgreSQL reads the rest as SQL, rejecting the statement${stopsHere(tx)}. ` +
          `Double the quote ('user''s'), or write an escape string constant (E'user\\'s'). The other statements of the file are still checked.`,
        fixes: [{ title: "Write the quote as ''", kind: 'unsafe', edits: [{ file: f.file, start: quote, end: quote + 1, newText: "'" }] }],
      };
    }
    return undefined;
  },
  // (a statement one `)` short, or one too many: the bare error names only the `;` or `)` it stops at)
  (f, e, tx) => {
    const u = unbalancedParentheses(f, e);
    if (!u) return undefined;
    const n = (k: number) => `${k} parenthes${k === 1 ? 'is' : 'es'}`;
    return {
      ...errorSpan(f, e),
      message: u.extra
        ? `${shortened(e.message)} (SQLSTATE 42601): the statement closes a parenthesis it never opened — ${n(u.closed)} closed by here, ${u.opened} opened — so PostgreSQL rejects it at this \`)\`${stopsHere(tx)}, and nothing of it is made. Remove the extra \`)\` (or add the \`(\` it was meant to close). The other statements of the file are still checked.`
        : `${shortened(e.message)} (SQLSTATE 42601): the statement opens ${n(u.opened)} and closes ${u.closed}, so ${u.near === undefined ? `PostgreSQL reaches its end with ${u.opened - u.closed === 1 ? 'one' : u.opened - u.closed} still open and rejects it` : `PostgreSQL reads what follows the unclosed one as still inside it, and rejects the statement at "${u.near}"`}${stopsHere(tx)}: nothing of it is made. Add the missing \`)\` where the expression it opens ends. The other statements of the file are still checked.`,
    };
  },
  // (a psql variable written in a function or DO body: psql leaves it there, PostgreSQL fails on it)
  (f, e, tx) => {
    const psqlVar = psqlVariableInBody(f, e.start);
    if (psqlVar) {
      const written = psqlVar.replace(/''/g, "'");
      const name = written.replace(/^:['"]?|['"]$/g, '');
      return {
        file: f.file,
        start: e.start,
        end: e.start + psqlVar.length,
        message:
          `${shortened(e.message)} (SQLSTATE 42601) at \`${written}\`, a psql variable in the body: psql substitutes no variable inside a string constant (a dollar-quoted body is one), so PostgreSQL receives \`${written}\` as written and rejects the statement${tx}. ` +
          `Pass the value another way: \`SELECT set_config('psql.${name}', :'${name}', false);\` before it, and current_setting('psql.${name}') in the body. The other statements of the file are still checked.`,
      };
    }
    return undefined;
  },
];

/**
 * Where the statement the error at `e` falls in opens more parentheses than it closes by the `;`
 * (or the end) PostgreSQL fails at, or closes one it never opened at the `)` it fails at: the
 * counts, and the depth left. Parentheses in strings, quoted names, comments and dollar-quoted
 * bodies are not counted (the scanner's tokens). arolanacount/telemed-phase3_0's
 * 20251226210500_update_rls_policies.sql, policies pasted from the dashboard's export with one `)`
 * short: 22 bare syntax errors at or near ";".
 */
function unbalancedParentheses(f: ParsedFile, e: ParseError): { opened: number; closed: number; extra: boolean; near?: string } | undefined {
  if (!/^syntax error at (?:or near "|end of input)/.test(e.message)) return undefined;
  // (the statement: from the end of the last one parsed before it, to its `;`)
  let from = 0;
  for (const s of f.statements) if (s.origin === 'file' && s.end <= e.start && s.end > from) from = s.end;
  const text = f.text.slice(from, Math.min(f.text.length, e.end + 20000));
  const tokens = sqlTokens(text);
  if (!tokens) return undefined;
  let opened = 0;
  let closed = 0;
  let depth = 0;
  let atError: { opened: number; closed: number; depth: number } | undefined;
  for (const t of tokens) {
    const w = text.slice(t.start, t.end);
    if (from + t.start >= e.start && !atError) atError = { opened, closed, depth };
    if (w === ';') {
      if (atError) break;
      // (a `;` before it ends an earlier statement that did not parse: count from after it)
      opened = closed = depth = 0;
    } else if (w === '(') opened++, depth++;
    else if (w === ')') closed++, depth--;
  }
  atError ??= { opened, closed, depth };
  const at = f.text.slice(e.start, e.start + 1);
  if (at === ')' && atError.depth === 0 && atError.opened > 0) return { opened: atError.opened, closed: atError.closed + 1, extra: true };
  // (at its `;` or end with a parenthesis open; or elsewhere, in a statement that opens more than it closes)
  if (at === ';' || /at end of input/.test(e.message)) return atError.depth > 0 ? { opened: atError.opened, closed: atError.closed, extra: false } : undefined;
  if (at !== ')' && atError.depth > 0 && opened > closed) return { opened, closed, extra: false, near: /at or near "([^"]*)"/.exec(e.message)?.[1] };
  return undefined;
}

/**
 * When the error at `at` falls on a number that quotes a function's or DO block's body where `$$`
 * belongs — `… AS 271` with `271` again after the body, or that closing `271` — the two places and
 * what the statement makes. Two digits at least, the same number at both places.
 */
function numberQuotedBody(text: string, at: number): { number: string; open: number; close: number; what: string } | undefined {
  const m = /^\d{2,}(?![\w.$])/.exec(text.slice(at, at + 20));
  if (!m) return undefined;
  const number = m[0];
  const token = new RegExp(`(?<![\\w.$])${number}(?![\\w.$])`, 'g');
  const opener = (open: number): string | undefined => {
    const head = text.slice(Math.max(0, text.lastIndexOf(';', open - 1) + 1), open);
    if (/\bDO\s*$/i.test(head)) return 'DO block';
    if (!/\bAS\s*$/i.test(head)) return undefined;
    const made = /\bCREATE\s+(?:OR\s+REPLACE\s+)?(FUNCTION|PROCEDURE)\b/i.exec(head);
    return made ? (made[1]!.toUpperCase() === 'FUNCTION' ? 'function' : 'procedure') : undefined;
  };
  const what = opener(at);
  if (what) {
    token.lastIndex = at + number.length;
    const next = token.exec(text);
    return next ? { number, open: at, close: next.index, what } : undefined;
  }
  // (the closing one: the same number opened a body before it)
  let open: number | undefined;
  for (let t = token.exec(text); t && t.index < at; t = token.exec(text)) open = opener(t.index) ? t.index : open;
  const whatOpen = open !== undefined ? opener(open) : undefined;
  return whatOpen ? { number, open: open!, close: at, what: whatOpen } : undefined;
}

/**
 * An explainer's finding in a migration the Supabase CLI applies, outside an explicit transaction:
 * with what the plain message says there (the CLI runs the file in one transaction, so the error
 * takes every statement of the file with it, and no later migration runs), before its last
 * sentence on the other statements being checked.
 */
function withFileLost(model: Model, f: ParsedFile, e: ParseError, why: Report): Report {
  if (!supabaseMigration(f.file)?.applied) return why;
  const lost = `This is a Supabase migration${whatIsLost(model, { file: f.file, start: e.start, end: e.end }, f.file, 'this file')}`;
  const at = why.message.lastIndexOf('The other statements of the file');
  return { ...why, message: at >= 0 ? why.message.slice(0, at) + lost + why.message.slice(at) : `${why.message} ${lost.trimEnd()}` };
}

function explained(f: ParsedFile, e: ParseError, tx: string): Report | undefined {
  for (const x of EXPLAINERS) {
    const r = x(f, e, tx);
    if (r) return r;
  }
  return undefined;
}

/**
 * When the error at `at` follows `GRANT … ON VIEW` or `… ON MATERIALIZED VIEW` (REVOKE too): the
 * span of the object type written there. PostgreSQL's GRANT has no such object type: it reads VIEW
 * (an unreserved keyword) as a table's name, and fails at the name after it; MATERIALIZED at the
 * VIEW after it (psql 15: `REVOKE ALL ON VIEW public.v FROM PUBLIC` fails at or near "public";
 * `GRANT SELECT ON TABLE v` and `ON v` grant on the view). nohseon-song/chackmake-query-tool's
 * 20250821140922 migration, three statements.
 */
function grantOnView(text: string, at: number): { start: number; end: number; written: string; verb: string } | undefined {
  const from = Math.max(0, at - 400);
  const before = text.slice(from, at);
  const m = /\b(GRANT|REVOKE)\b(?:(?!;)[\s\S])*?\bON\s+(MATERIALIZED\s+VIEW|VIEW)\s*$/i.exec(before) ?? /\b(GRANT|REVOKE)\b(?:(?!;)[\s\S])*?\bON\s+(MATERIALIZED)\s*$/i.exec(before);
  if (!m) return undefined;
  // (the object type starts after the last ON of the match: neither VIEW nor MATERIALIZED holds one)
  const after = from + m.index + m[0].toUpperCase().lastIndexOf('ON') + 2;
  const start = after + text.slice(after).search(/\S/);
  const verb = m[1]!.toUpperCase();
  // (the error at VIEW after MATERIALIZED: the span covers both words)
  if (/^materialized$/i.test(m[2]!)) return /^view\b/i.test(text.slice(at, at + 5)) ? { start, end: at + 4, written: 'MATERIALIZED VIEW', verb } : undefined;
  return { start, end: start + m[2]!.length, written: /^materialized/i.test(m[2]!) ? 'MATERIALIZED VIEW' : 'VIEW', verb };
}

/**
 * Whether the error at `at` is at SELECT among a CREATE TRIGGER's events (`AFTER SELECT`, `BEFORE
 * INSERT OR SELECT`, `INSTEAD OF SELECT`): PostgreSQL's grammar has no such event (psql 15 fails at
 * or near "SELECT" for each). nohseon-song/chackmake-query-tool's 20250919080016 migration, an
 * audit trigger meant to log reads of inspector_contacts.
 */
function selectTrigger(text: string, at: number): boolean {
  if (!/^select\b/i.test(text.slice(at, at + 7))) return false;
  const before = text.slice(Math.max(0, at - 300), at);
  return /\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:CONSTRAINT\s+)?TRIGGER\s+(?:"[^"]+"|\w+)\s+(?:BEFORE|AFTER|INSTEAD\s+OF)\s+(?:(?:INSERT|DELETE|TRUNCATE|UPDATE(?:\s+OF\s+[\w\s,"]+?)?)\s+OR\s+)*$/i.test(before);
}

interface ConflictBlock {
  /** from its `<<<<<<<` line to the end of its `>>>>>>>` line (or of the file, when it has none) */
  start: number;
  end: number;
  firstLineEnd: number;
  markers: Array<{ at: number; text: string }>;
}

/**
 * git's merge conflict blocks of a file: a `<<<<<<< ours` line, `=======` (and diff3's `||||||| base`)
 * lines, up to a `>>>>>>> theirs` line, each at the start of a line. PostgreSQL reads a marker as
 * part of the statement it falls into and rejects it (PGlite: 42601 at or near "<<<<<<<"). Lines
 * of such markers are no SQL anywhere (outside strings and comments); only the errors that fall in
 * a block are taken for the conflict's. use60's supabase/migrations/20260225100005_contact_rep_memory.sql
 * (cal189) was committed with five of them: 12 syntax errors.
 */
function conflictBlocks(text: string): ConflictBlock[] {
  if (!text.includes('<<<<<<<')) return [];
  const out: ConflictBlock[] = [];
  const re = /^(<{7}|={7}|\|{7}|>{7})(?:[ \t][^\r\n]*)?[ \t]*$/gm;
  let open: ConflictBlock | undefined;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const kind = m[1]![0];
    const lineEnd = m.index + m[0].length;
    const marker = { at: m.index, text: m[0].trim() };
    if (kind === '<') {
      if (open) out.push(open);
      open = { start: m.index, end: text.length, firstLineEnd: lineEnd, markers: [marker] };
    } else if (open) {
      open.markers.push(marker);
      if (kind === '>') {
        open.end = lineEnd;
        out.push(open);
        open = undefined;
      }
    }
  }
  if (open) out.push(open);
  return out;
}

/**
 * MySQL's index clause in a CREATE TABLE's column list that PostgreSQL's grammar rejects: one with
 * DESC or ASC in its columns (`INDEX idx (tenant_id, created_at DESC)`: 42601 at or near "DESC"),
 * `UNIQUE INDEX` (at "INDEX"), `FULLTEXT INDEX name` (at the name), when the error at `at` falls
 * in it. (Without them PostgreSQL parses the clause as a column and fails with 42704 instead:
 * table-inline-index.) dermatology-ehr's 073_workflow_orchestration.sql (cal194), PGlite.
 */
function inlineIndexClause(text: string, at: number): { written: string; name: string; table: string; unique: boolean } | undefined {
  const word = /^\w+/.exec(text.slice(at, at + 64))?.[0] ?? '';
  const upto = text.slice(Math.max(0, at - 1500), at) + word;
  const head = /\bCREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:TEMP(?:ORARY)?\s+|UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?((?:"[^"]+"|\w+)(?:\s*\.\s*(?:"[^"]+"|\w+))?)\s*\(([^;]*)$/i.exec(upto);
  if (!head) return undefined;
  const m = /(?:^|,)\s*(?:--[^\n]*\n\s*)*((?:(UNIQUE|FULLTEXT|SPATIAL)\s+)?(?:INDEX|KEY)\b\s*((?:"[^"]+"|\w+))?\s*(?:\(([^()]*))?)$/i.exec(head[2]!);
  if (!m) return undefined;
  // (the column list of the table itself: nothing but the clause open at the error)
  let depth = 0;
  for (const ch of head[2]!.slice(0, head[2]!.length - m[0].length)) {
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
  }
  if (depth !== 0) return undefined;
  // (a clause PostgreSQL parses on its own, `INDEX i (a, b)`, fails at the word after it, not in it)
  if (!m[2] && m[4] === undefined) return undefined;
  // (the clause as written: from its first word to the parenthesis closing its columns)
  const from = at + word.length - m[1]!.length;
  const open = text.indexOf('(', from);
  const close = open >= 0 ? text.indexOf(')', open) : -1;
  const semi = text.indexOf(';', from);
  const written = text.slice(from, close >= 0 && (semi < 0 || close < semi) ? close + 1 : at + word.length).replace(/\s+/g, ' ').trim();
  const name = m[3] ?? /^(?:(?:UNIQUE|FULLTEXT|SPATIAL)\s+)?(?:INDEX|KEY)\s+((?:"[^"]+"|\w+))\s*\(/i.exec(written)?.[1] ?? 'name';
  return { written, name, table: head[1]!, unique: /^unique$/i.test(m[2] ?? '') };
}

/** `CREATE [OR REPLACE] FUNCTION|PROCEDURE name (` and the parameter list after it, up to the end of `before`. */
const ROUTINE_HEAD = /\bCREATE\s+(?:OR\s+REPLACE\s+)?(FUNCTION|PROCEDURE)\s+(?:(?:"[^"]*"|[\w$]+)\s*\.\s*)?(?:"[^"]*"|[\w$]+)\s*\(([^;]*)$/i;
/** `RETURNS TABLE (` and its column list after it (its columns are OUT parameters, named as parameters are). */
const RETURNS_TABLE = /\bCREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\b[^;]*?\bRETURNS\s+TABLE\s*\(([^;]*)$/i;

/**
 * The keyword the error at `at` falls on, or the one just before it, when it is written as a
 * parameter's name in the parameter list of a CREATE FUNCTION or CREATE PROCEDURE (or a column of
 * its RETURNS TABLE) and is one PostgreSQL's grammar takes for no parameter's name: a parameter
 * name is an identifier, an unreserved keyword or a type or function name's keyword (`left`),
 * never a column name's keyword (`position`, `values`, `time`) nor a reserved one (`user`,
 * `order`, `limit`). PostgreSQL fails at the keyword (PGlite: 42601 at or near "position"), or
 * at the word after one that can start a type (`time text`: at or near "text"). A migration's
 * `move_item(item_id uuid, position int)` (cal199).
 */
function keywordParameter(text: string, at: number): { start: number; word: string; routine: string } | undefined {
  const here = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(text.slice(at, at + 64))?.[0];
  if (here && isNameKeyword(here)) {
    const routine = parameterStart(text, at);
    if (routine) return { start: at, word: here, routine };
  }
  // (the word before: `time text`, PostgreSQL took `time` for the type)
  const before = /([A-Za-z_][A-Za-z0-9_$]*)\s+$/.exec(text.slice(Math.max(0, at - 64), at));
  if (!before || !isNameKeyword(before[1]!)) return undefined;
  const start = at - before[0].length;
  const routine = parameterStart(text, start);
  return routine ? { start, word: before[1]!, routine } : undefined;
}

function isNameKeyword(word: string): boolean {
  const kind = keywordKind(word.toLowerCase());
  return kind === KW_COL_NAME || kind === KW_RESERVED;
}

/** "function" or "procedure" when `at` is where a parameter starts (after `(` or `,` and its mode) in a routine's parameter list or RETURNS TABLE, at the list's own level. */
function parameterStart(text: string, at: number): string | undefined {
  const before = text.slice(Math.max(0, at - 2000), at);
  const head = ROUTINE_HEAD.exec(before);
  if (head && openList(head[2]!)) return head[1]!.toLowerCase() === 'procedure' ? 'procedure' : 'function';
  // (past the parameter list, which its `)` closed: a column of RETURNS TABLE — `get_ros_projections(
  // p_player_ids INTEGER[]) RETURNS TABLE (…, position VARCHAR(5), …)`, Gstormsfh/citrus-league-storm-main)
  const table = RETURNS_TABLE.exec(before);
  return table && openList(table[1]!) ? 'function' : undefined;
}

/** Whether a list's text, from just after its `(`, is still open at its own level, where a parameter starts (after `(` or `,` and its mode; not in a type's modifiers such as numeric(10, 2), nor after the list). */
function openList(list: string): boolean {
  let depth = 0;
  for (let i = 0; i < list.length; i++) {
    if (list[i] === '(') depth++;
    else if (list[i] === ')' && --depth < 0) return false;
  }
  return depth === 0 && /(?:^|,)\s*(?:(?:IN|OUT|INOUT|VARIADIC)\s+)?$/i.test(list);
}

/**
 * UNIQUE or PRIMARY KEY when the error at `at` is a WHERE right after such a table constraint's
 * column list (`UNIQUE (user_id, device_id) WHERE session_token IS NULL`): PostgreSQL's table
 * constraints take no WHERE (PGlite: 42601 at or near "WHERE", in ALTER TABLE … ADD CONSTRAINT
 * and in CREATE TABLE alike); a partial unique index does, and an EXCLUDE constraint.
 * joseph-ehler/moto-mind-ai's 20251017_09_prevent_duplicate_sessions.sql.
 */
function partialUnique(text: string, at: number): 'UNIQUE' | 'PRIMARY KEY' | undefined {
  if (!/^where\b/i.test(text.slice(at, at + 6))) return undefined;
  const before = text.slice(Math.max(0, at - 600), at);
  const m = /\b(UNIQUE|PRIMARY\s+KEY)\s*(?:NULLS\s+(?:NOT\s+)?DISTINCT\s*)?\([^;()]*\)\s*(?:INCLUDE\s*\([^;()]*\)\s*)?$/i.exec(before);
  if (!m) return undefined;
  return /^unique$/i.test(m[1]!) ? 'UNIQUE' : 'PRIMARY KEY';
}

/**
 * When the error at `at` falls on the first token after USING or WITH CHECK of a CREATE or ALTER
 * POLICY: the clause (as PostgreSQL names it) and the statement's verb. Their condition is written
 * in parentheses (PGlite: `CREATE POLICY p ON t USING f(c)`, `… WITH CHECK c > 0`, `ALTER POLICY p
 * ON t USING c = 1` fail with 42601 at that token; `USING (f(c))` makes the policy).
 * incubateur-ademe/territoires-en-transitions' revert/indicateur/confidentialite@v2.92.0.sql,
 * `create policy allow_read … for select using can_read_acces_restreint(collectivite_id);`.
 */
function bareCondition(text: string, at: number): { clause: 'USING' | 'WITH CHECK'; verb: 'CREATE' | 'ALTER' } | undefined {
  if (text[at] === '(') return undefined;
  const before = text.slice(Math.max(0, at - 4000), at);
  const clause = /\b(using|with\s+check)\s*$/i.exec(before);
  if (!clause) return undefined;
  // (the statement it is in: from the last `;` before, a CREATE or ALTER POLICY)
  const stmt = before.slice(before.lastIndexOf(';') + 1);
  const head = /^(?:\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)*(create|alter)\s+policy\b/i.exec(stmt);
  if (!head) return undefined;
  return { clause: /^using$/i.test(clause[1]!) ? 'USING' : 'WITH CHECK', verb: head[1]!.toUpperCase() as 'CREATE' | 'ALTER' };
}

/**
 * An expression as set_config()'s text value: as written when it ends in a cast to text, else cast
 * (set_config(text, uuid, boolean) does not exist: 42883), in parentheses unless it is one already.
 */
function asText(value: string): string {
  if (/::\s*(?:text|varchar|character varying)$/i.test(value)) return value;
  let depth = 0;
  let wrapped = value.startsWith('(') && value.endsWith(')');
  for (let i = 0; wrapped && i < value.length; i++) {
    if (value[i] === '(') depth++;
    else if (value[i] === ')' && --depth === 0 && i < value.length - 1) wrapped = false;
  }
  return wrapped ? `${value}::text` : `(${value})::text`;
}

/**
 * When the error at `at` falls on a `(`, `::` or `||` in the value of a SET statement of the file
 * (`SET [LOCAL | SESSION] name = …` or `TO …`, not in a function or DO body): its setting's name
 * (as set_config() takes it), whether it is SET LOCAL, and the value as written. SET takes a
 * constant: PGlite fails `SET LOCAL "request.jwt.claims" = json_build_object('role', …)::text`,
 * `SET app.tenant = (SELECT '1')`, `SET app.tenant TO current_setting('x')` with 42601 at "(", and
 * `SET app.tenant = 'a' || 'b'` at "||"; set_config('request.jwt.claims', json_build_object(…)::text,
 * true) sets it. 6thd/wardah-process-costing's (a manufacturing cost accounting ERP's)
 * sql/archive/deploy-wardah-erp.sql sets its tenant's claims so.
 */
function setExpression(f: ParsedFile, at: number): { name: string; local: boolean; value: string } | undefined {
  const token = f.text.slice(at, at + 2);
  if (token[0] !== '(' && token !== '::' && token !== '||') return undefined;
  const from = Math.max(0, at - 2000);
  const before = f.text.slice(from, at);
  const start = before.lastIndexOf(';') + 1;
  if (start === 0 && from > 0) return undefined;
  const m = new RegExp(String.raw`^(?:\s|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*set\s+(?:(local|session)\s+)?(${NAME}(?:\s*\.\s*${NAME})*)\s*(?:=|\bto\b)\s*`, 'i').exec(before.slice(start));
  if (!m) return undefined;
  const written = m[2]!;
  // (SET ROLE, SESSION AUTHORIZATION, TIME ZONE, TRANSACTION, CONSTRAINTS: other statements, not a parameter's)
  if (/^(?:role|session|time|transaction|constraints|schema|names)$/i.test(written)) return undefined;
  if (f.statements.some((st) => st.body && at >= st.body.start && at < st.body.end)) return undefined;
  const name = [...written.matchAll(new RegExp(NAME, 'g'))]
    .map(([part]) => (part.startsWith('"') ? part.slice(1, -1).replace(/""/g, '"') : part.toLowerCase()))
    .join('.');
  if (name.includes("'")) return undefined;
  const valueStart = from + start + m[0].length;
  const end = f.text.indexOf(';', at);
  const value = f.text.slice(valueStart, end < 0 ? f.text.length : end).trim().replace(/\s+/g, ' ').replace(/\( /g, '(').replace(/ \)/g, ')');
  if (!value || /--|\/\*/.test(value)) return undefined;
  return { name, local: m[1]?.toLowerCase() === 'local', value };
}

/**
 * The offset of the backslash when the error at `at` falls on the word right after `\'` that ends
 * a standard string constant (`'…` not preceded by E): with standard_conforming_strings on, the
 * default, `\` is an ordinary character in '…', so `'the user\'s email'` is the string `the
 * user\` followed by `s email'`, and PostgreSQL fails at "s" (PGlite: 42601 at or near "s"; with
 * E'…' or '' the statement runs). barther/samaritan-hub's 20250905213844 migration, a COMMENT ON
 * FUNCTION … IS '… user\'s email domain …'.
 */
function backslashQuote(text: string, at: number): number | undefined {
  if (at < 3 || text[at - 1] !== "'" || text[at - 2] !== '\\' || !/[A-Za-z_]/.test(text[at] ?? '')) return undefined;
  // (the string's opening quote, on the same line: not an E'…' string, where \' is a quote)
  const line = text.slice(text.lastIndexOf('\n', at - 3) + 1, at - 2);
  const m = /(^|[^'])'((?:[^']|'')*)$/.exec(line);
  if (!m || /[Ee]$/.test(m[1]!)) return undefined;
  return at - 2;
}

/**
 * RAISE or PERFORM (as written, upper-cased) when the error at `at` is that word starting a
 * statement of the file, not in a function or DO body: PL/pgSQL statements, which SQL's grammar
 * does not have (PGlite: `RAISE NOTICE 'x';` and `PERFORM 1;` fail with 42601 at or near the
 * word; in a DO block they run). joseph-ehler/moto-mind-ai's 20251017_09_prevent_duplicate_sessions.sql
 * ends with `RAISE NOTICE '✅ Unique constraint added - duplicates prevented!';`.
 */
function plpgsqlStatementOutside(f: ParsedFile, at: number): 'RAISE' | 'PERFORM' | undefined {
  const m = /^(raise|perform)\b/i.exec(f.text.slice(at, at + 8));
  if (!m) return undefined;
  // (first in its statement: only blanks and comments since the previous ';' or the file's start)
  const from = Math.max(0, at - 2000);
  const before = f.text.slice(from, at);
  if (!(from === 0 ? /(?:^|;)(?:\s|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*$/ : /;(?:\s|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*$/).test(before)) return undefined;
  if (f.statements.some((s) => s.body && at >= s.body.start && at < s.body.end)) return undefined;
  return m[1]!.toUpperCase() as 'RAISE' | 'PERFORM';
}

/**
 * The psql variable (`:name`, `:'name'`, `:"name"`; `:''name''` in a body quoted with '…') the
 * error at `at` falls on, when `at` is inside the body of a function or DO block of the file.
 * psql substitutes no variable inside a string constant, a dollar-quoted one included: it sends
 * the text as written and PostgreSQL fails on the `:` (measured with psql 15: `\set r x` then
 * `DO $$ … WHERE rolname = :'r' … $$` fails with 42601 at or near ":", where `SELECT :'r'` gives
 * x). cgb808/dev-indexer_1's metrics_writer_role.sql and queue_worker_role.sql.
 */
function psqlVariableInBody(f: ParsedFile, at: number): string | undefined {
  if (f.text[at] !== ':' || f.text[at - 1] === ':') return undefined;
  const m = /^:(?:''[A-Za-z_]\w*''|'[A-Za-z_]\w*'|"[A-Za-z_]\w*"|[A-Za-z_]\w*)/.exec(f.text.slice(at, at + 80));
  if (!m) return undefined;
  const inBody = f.statements.some((s) => s.origin === 'file' && (s.kind === 'DoStmt' || s.kind === 'CreateFunctionStmt') && s.body && at >= s.body.start && at < s.body.end);
  return inBody ? m[0] : undefined;
}

/**
 * When the error is one only PostgreSQL versions later than the project's raise (a word that is a
 * keyword of its kind only since then, parse.ts NEWER_KEYWORDS): what the finding says instead.
 * ilhamsa1/deploy-vercel pins 15 (`[db] major_version = 15`) and creates `json(uuid_ulid)`:
 * PostgreSQL 15.18 runs it; PGlite (18) fails at the `(` after json, a keyword that cannot name a
 * function since 17 (its release notes: the SQL/JSON constructor JSON(); json was an unreserved
 * keyword in 16, which still names one). The statement breaks when the project moves up.
 */
function laterVersionsOnly(e: ParseError, config: Config): string | undefined {
  const pinned = config.postgresVersion;
  const k = e.newerKeyword;
  if (pinned === undefined || !k || pinned >= k.since) return undefined;
  const where = config.postgresVersionBy ? `${config.postgresVersionBy} [db] major_version` : 'setting postgresVersion';
  const words = k.words.join(', ');
  const quoted = k.words.map((w) => `"${w}"`).join(', ');
  const one = k.words.length === 1;
  return (
    `${shortened(e.message)} (SQLSTATE 42601) on PostgreSQL ${k.since} and later, where ${words} ${one ? `is a keyword (since ${k.since})` : 'are keywords'} that cannot stand unquoted here. ` +
    `This project pins PostgreSQL ${pinned} (${where}), whose parser takes ${words} for ${one ? 'a name' : 'names'} there and does not raise this error: the statement fails once the project moves to PostgreSQL ${k.since} or later. ` +
    `Write ${one ? 'it' : 'them'} quoted (${quoted}): a quoted name is never a keyword, and means the same on ${pinned}.`
  );
}

/**
 * `, inside the transaction begun at line n: …` when the error at `at` lies in an explicit
 * transaction (a top-level BEGIN or START TRANSACTION not yet ended) that no ROLLBACK TO follows
 * before its end: psql, which goes on after an error unless ON_ERROR_STOP is set, fails every
 * statement up to the COMMIT (or END) with 25P02, and the COMMIT rolls the transaction back,
 * with what ran before the error (measured on PGlite, statement by statement: RicardoBoreto/
 * tirilo's `BEGIN; CREATE POLICY …; EXCEPTION WHEN OTHERS THEN …; END;` leaves no policy). The
 * statements are still checked as written: one broken statement hides no finding.
 */
function abortedTransaction(f: ParsedFile, at: number): string {
  let begun: { start: number } | undefined;
  let after = false;
  for (const s of f.statements) {
    if (s.origin !== 'file' || s.kind !== 'TransactionStmt') continue;
    const kind: string = s.node?.kind ?? '';
    if (s.start < at) {
      if (kind === 'TRANS_STMT_BEGIN' || kind === 'TRANS_STMT_START') begun ??= s;
      else if (kind === 'TRANS_STMT_COMMIT' || kind === 'TRANS_STMT_ROLLBACK' || kind === 'TRANS_STMT_PREPARE') begun = undefined;
      continue;
    }
    if (!begun) return '';
    // (a ROLLBACK TO a savepoint ends the aborted state; the transaction then goes on)
    if (kind === 'TRANS_STMT_ROLLBACK_TO') return '';
    if (kind === 'TRANS_STMT_COMMIT' || kind === 'TRANS_STMT_ROLLBACK' || kind === 'TRANS_STMT_PREPARE') {
      after = true;
      break;
    }
  }
  if (!begun) return '';
  return (
    `, inside the transaction begun at line ${lineOf(f.text, begun.start)}: psql without ON_ERROR_STOP then fails every statement up to ${after ? 'its end' : 'the end of the file'} (25P02, current transaction is aborted)` +
    `${after ? ' and its COMMIT rolls the whole transaction back' : ', and the transaction, never ended, is rolled back'}, the statements before this one with it`
  );
}

/** Whether the function whose definition holds offset `at` of the file is the one the migrations leave (not replaced or dropped later). */
function survives(model: Model, file: string, at: number): boolean {
  for (const list of model.functions.values()) for (const fn of list) if (fn.created.file === file && fn.created.start <= at && at < fn.created.end) return true;
  // (no function made there: not one the model knows, say nothing more)
  return !model.statements.some(({ file: pf, stmt }) => pf.file === file && stmt.start <= at && at < stmt.end && stmt.kind === 'CreateFunctionStmt');
}

/**
 * When the error at `at` is the POLICY of `CREATE OR REPLACE POLICY`: PostgreSQL has no such
 * statement (PGlite, PostgreSQL 18: 42601 at or near "policy"). The span is from OR to POLICY;
 * `head` is where CREATE starts; the policy's name and table when the text after shows them.
 * Valdemar-Junior/solidgo's supabase/migrations/027_vehicles_rls.sql and 028_vehicles_rls_broad.sql:
 * six policies on vehicles, none created.
 */
function orReplacePolicy(text: string, at: number): { head: number; start: number; end: number; name?: string; table?: string } | undefined {
  if (!/^policy\b/i.test(text.slice(at, at + 7))) return undefined;
  const from = Math.max(0, at - 60);
  const m = /\bcreate\s+(or\s+replace\s+)$/i.exec(text.slice(from, at));
  if (!m) return undefined;
  const head = from + m.index;
  const on = new RegExp(String.raw`^policy\s+(${NAME})\s+on\s+(${QUALIFIED})`, 'i').exec(text.slice(at));
  return { head, start: from + m.index + m[0].length - m[1]!.length, end: at + 6, name: on?.[1], table: on?.[2] };
}

// ---- IF NOT EXISTS where PostgreSQL has none ----
//
// CREATE TABLE, INDEX, SEQUENCE, SCHEMA, EXTENSION, MATERIALIZED VIEW and ADD COLUMN take IF NOT
// EXISTS; CREATE POLICY, TRIGGER, FUNCTION, TYPE, DOMAIN, ROLE and ALTER TABLE … ADD CONSTRAINT do
// not (PostgreSQL 18 neither). The parser takes IF for the object's name and fails at NOT: the
// error says only `syntax error at or near "NOT"` (globalitacademy/muh, 12 of its migrations).

const NAME = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)`;
const QUALIFIED = String.raw`${NAME}(?:\s*\.\s*${NAME}){0,2}`;
/** The words before `IF` at the error: the statement that has no IF NOT EXISTS. */
const BEFORE_IF = /\b(create\s+(?:(or\s+replace)\s+)?(policy|trigger|function|procedure|type|domain|role|user|group|publication)|add\s+constraint)\s+if\s+$/i;

interface NoIfNotExists {
  start: number;
  end: number;
  what: string;
  instead: string;
  fix?: Fix;
}

/** When the error at `at` is the NOT of an IF NOT EXISTS that the statement before it does not take: what to say and do. */
function noIfNotExists(file: string, text: string, at: number): NoIfNotExists | undefined {
  // (at NOT; or at EXISTS, where NOT could be read: ADD CONSTRAINT IF NOT, as if a NOT NULL constraint)
  if (/^exists\b/i.test(text.slice(at, at + 10))) {
    const not = /\bnot\s+$/i.exec(text.slice(Math.max(0, at - 20), at));
    if (!not) return undefined;
    at = Math.max(0, at - 20) + not.index;
  }
  const rest = /^not\s+exists\b/i.exec(text.slice(at, at + 40));
  if (!rest) return undefined;
  const from = Math.max(0, at - 120);
  const m = BEFORE_IF.exec(text.slice(from, at));
  if (!m) return undefined;
  const head = from + m.index;
  const ifAt = from + m.index + m[0].search(/if\s+$/i);
  const end = at + rest[0].length;
  const kind = (m[3] ?? 'constraint').toLowerCase();
  const what = kind === 'constraint' ? 'ALTER TABLE … ADD CONSTRAINT' : `CREATE ${kind.toUpperCase()}`;
  // (the text after IF NOT EXISTS: the name, and for a policy or trigger, ON table)
  const after = text.slice(end);
  const lead = /^\s*/.exec(after)![0].length;
  const nameStart = end + lead;
  if (kind === 'policy') {
    const on = new RegExp(String.raw`^(${NAME})\s+on\s+(${QUALIFIED})`, 'i').exec(text.slice(nameStart));
    const instead = on
      ? `Drop it first: DROP POLICY IF EXISTS ${on[1]} ON ${on[2]}; then CREATE POLICY ${on[1]} … (or create it in a DO block that looks it up in pg_policies).`
      : 'Drop it first with DROP POLICY IF EXISTS name ON table, then CREATE POLICY (or create it in a DO block that looks it up in pg_policies).';
    return {
      start: ifAt,
      end,
      what,
      instead,
      fix: on ? {
        title: `DROP POLICY IF EXISTS ${on[1]} ON ${on[2]}, then CREATE POLICY (replaces a policy of that name)`,
        kind: 'unsafe',
        edits: [
          { file, start: head, end: head, newText: `DROP POLICY IF EXISTS ${on[1]} ON ${on[2]};\n` },
          { file, start: ifAt, end: nameStart, newText: '' },
        ],
      } : undefined,
    };
  }
  if (kind === 'trigger' || kind === 'function' || kind === 'procedure') {
    const replace = `CREATE OR REPLACE ${kind.toUpperCase()}`;
    // (OR REPLACE written already: IF NOT EXISTS is all that is wrong)
    if (m[2])
      return {
        start: ifAt,
        end,
        what,
        instead: `Take IF NOT EXISTS out: ${replace} creates the ${kind}, or replaces one of that name.`,
        fix: { title: 'Remove IF NOT EXISTS', kind: 'unsafe', edits: [{ file, start: ifAt, end: nameStart, newText: '' }] },
      };
    return {
      start: ifAt,
      end,
      what,
      instead:
        kind === 'trigger'
          ? `Write ${replace} (PostgreSQL 14 and later; not for a CONSTRAINT TRIGGER), or DROP TRIGGER IF EXISTS name ON table first.`
          : `Write ${replace}: it creates the ${kind}, or replaces one of the same name and argument types (its return type must stay the same, 42P13 otherwise).`,
      fix: { title: `${replace} (replaces a ${kind} of that name)`, kind: 'unsafe', edits: [{ file, start: head, end: nameStart, newText: `${replace} ` }] },
    };
  }
  const codes = kind === 'constraint' ? 'duplicate_object OR duplicate_table' : 'duplicate_object';
  return {
    start: ifAt,
    end,
    what,
    instead: `Without IF NOT EXISTS, in a DO block that ignores the duplicate: DO $$ BEGIN ${kind === 'constraint' ? 'ALTER TABLE … ADD CONSTRAINT' : what} …; EXCEPTION WHEN ${codes} THEN NULL; END $$;`,
  };
}

/** Condition names of an EXCEPTION clause that catch 42601 (its name, code, class, OTHERS). */
const CATCHES_42601 = new Set(['others', 'syntax_error', '42601', 'syntax_error_or_access_rule_violation', '42000']);

/**
 * When the error at `at` is in the body of a function a DO block makes with EXECUTE (a `dynamic`
 * statement of the block): 'branch' where that EXECUTE sits in an IF branch, 'caught' where an
 * EXCEPTION clause around it catches 42601; else undefined. PostgreSQL parses the EXECUTEd text
 * when it runs (measured on PGlite: `IF … THEN EXECUTE <good> ELSE EXECUTE <body without END>`
 * runs without error where the THEN branch is taken, and fails with 42601 where the ELSE is).
 */
function executedOnly(f: ParsedFile, at: number): 'branch' | 'caught' | undefined {
  for (const s of f.statements) {
    if (s.origin !== 'file' || s.kind !== 'DoStmt' || !s.body || at < s.body.start || at > s.body.end) continue;
    for (const d of s.body.statements) {
      if (!d.dynamic || !d.body || at < d.body.start || at > d.body.end) continue;
      if (d.arms?.length) return 'branch';
      if (d.caught?.some((c) => CATCHES_42601.has(c.toLowerCase()))) return 'caught';
    }
  }
  return undefined;
}

/**
 * When the error at `at` is in the body of a CREATE FUNCTION / PROCEDURE that the file creates
 * with check_function_bodies off (pg_dump's `SET check_function_bodies = false;`): the offset of
 * that SET. PostgreSQL then does not parse the body at CREATE (a DO block is always parsed).
 */
function bodyUnchecked(f: ParsedFile, at: number): number | undefined {
  let off: number | undefined;
  for (const s of f.statements) {
    if (s.origin !== 'file' || s.start > at) continue;
    if (s.kind === 'VariableSetStmt' && s.node.name === 'check_function_bodies') off = setsCheckOff(s.node) ? s.start : undefined;
    else if (s.kind === 'CreateFunctionStmt' && s.body && at >= s.body.start && at <= s.body.end) return off;
  }
  return undefined;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/**
 * PostgreSQL quotes the text at the error (`at or near "…"`); for an unterminated quote that
 * is the rest of the file. Keep its first line, up to 60 characters, and mark the cut.
 */
function shortened(message: string): string {
  return message.replace(/( at or near ")([\s\S]*)"$/, (all, head: string, near: string) => {
    const firstLine = near.split(/\r\n|\r|\n/)[0]!;
    if (firstLine === near && near.length <= 60) return all;
    return `${head}${[...firstLine].slice(0, 60).join('')}…"`;
  });
}
