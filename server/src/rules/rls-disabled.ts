import type { Model, Table } from '../analysis/model.js';
import { CATALOG_LOOP_KIND } from '../analysis/catalog-loops.js';
import type { Loc } from '../analysis/types.js';
import { policiesWithKey } from '../analysis/policy-exprs.js';
import { defineRule, type Edit, type Fix } from './types.js';
import { codeOnly, fileOf, insertAfter, rlsAncestor, tableName, tableList } from './lib/util.js';

type Word = 'disable' | 'no-force';

interface LastWord {
  kind: Word;
  /** the ALTER TABLE statement */
  loc: Loc;
}

const PATTERN: Record<Word, RegExp> = {
  disable: /\b(DISABLE)\s+ROW\s+LEVEL\s+SECURITY\b/gi,
  'no-force': /\b(NO\s+FORCE)\s+ROW\s+LEVEL\s+SECURITY\b/gi,
};


/**
 * Whether an RLS event is a DO block's `EXECUTE format('ALTER TABLE %I … ROW LEVEL SECURITY', t)`:
 * its location is the format() call, or (a loop over the catalog's tables the replay runs,
 * catalog-loops.ts) the pattern's string from its quote to the call's end.
 */
const isDynamic = (model: Model, loc: Loc) => /^(?:format\s*\(|E?'|\$)/i.test(fileOf(model, loc.file)?.text.slice(loc.start, loc.start + 7) ?? '');

/**
 * A dynamic ALTER TABLE of a loop over the catalog's tables: one the replay runs per table
 * (within a CatalogLoop statement, catalog-loops.ts), or one whose format() argument is a
 * record's field (`tbl.tablename`), not a name of a literal list.
 */
const catalogLoop = (model: Model, loc: Loc) =>
  isDynamic(model, loc) &&
  (/,\s*[A-Za-z_][\w$]*\s*\.\s*[A-Za-z_][\w$]*\s*\)\s*$/.test(fileOf(model, loc.file)?.text.slice(loc.start, loc.end) ?? '') ||
    !!fileOf(model, loc.file)?.statements.some((s) => s.kind === CATALOG_LOOP_KIND && s.start <= loc.start && loc.end <= s.end));

/** The `DISABLE ROW LEVEL SECURITY` / `NO FORCE ROW LEVEL SECURITY` subcommand in the statement (or in the string of a dynamic one), and its keyword. */
function subcommand(model: Model, loc: Loc, kind: Word): { span: Loc; keyword: Loc } | undefined {
  const text = fileOf(model, loc.file)?.text ?? '';
  const src = isDynamic(model, loc) ? text.slice(loc.start, loc.end) : codeOnly(text.slice(loc.start, loc.end));
  let found: RegExpExecArray | undefined;
  for (const m of src.matchAll(PATTERN[kind])) found = m as RegExpExecArray;
  if (!found) return undefined;
  const start = loc.start + found.index!;
  return {
    span: { file: loc.file, start, end: start + found[0].length },
    keyword: { file: loc.file, start, end: start + found[1]!.length },
  };
}

function lastOf(events: ReadonlyArray<{ kind: string; loc: Loc }>, kinds: [string, string]): { kind: string; loc: Loc } | undefined {
  for (let i = events.length - 1; i >= 0; i--) if (kinds.includes(events[i]!.kind)) return events[i];
  return undefined;
}

export const rlsDisabled = defineRule({
  meta: {
    id: 'rls-disabled',
    description: 'The last word on a table is DISABLE ROW LEVEL SECURITY or NO FORCE ROW LEVEL SECURITY.',
    severity: 'warning',
    category: 'security',
    fixKind: 'unsafe',
    guards:
      'DISABLE: PostgreSQL ignores the policies and every role with a grant reads and changes all rows; NO FORCE: the table owner bypasses every policy.',
    truths: ['T13'],
    shownBy: { exposure: ['no-rls', 'owner'] },
    sources: ['splinter 0013 rls_disabled_in_public'],
  },
  check({ model, config, report }) {
    const reportWord = (w: LastWord, key: string, name: string, t: Table | undefined, policyNames: string[]) => {
      const sub = subcommand(model, w.loc, w.kind);
      const at = sub?.span ?? w.loc;
      const fixes: Fix[] = [];
      if (w.kind === 'disable') {
        const ancestor = t ? rlsAncestor(model, t) : undefined;
        const policies =
          policyNames.length === 0
            ? 'no policy applies'
            : `PostgreSQL ignores its ${policyNames.length === 1 ? 'policy' : `${policyNames.length} policies`} (${policyNames.map((p) => `"${p}"`).join(', ')})`;
        const edits: Edit[] = [];
        if (sub) edits.push({ ...sub.keyword, newText: 'ENABLE' });
        // a table left unforced would be reported by rls-not-forced; force it too unless a
        // later NO FORCE is the last word (reported separately)
        const forceWord = t ? lastOf(t.rlsEvents, ['force', 'no-force']) : undefined;
        // (not after a dynamic one: a statement of the loop's body, run for each table)
        const addForce = t && !t.rlsForced && forceWord?.kind !== 'no-force' && !isDynamic(model, w.loc);
        if (addForce) edits.push(insertAfter(model, w.loc, [`ALTER TABLE ${name} FORCE ROW LEVEL SECURITY;`]));
        // (a loop over the catalog's tables runs it for every table of the schema: editing it would enable RLS on all of them)
        const everyTable = catalogLoop(model, w.loc);
        if (sub && !everyTable) fixes.push({ title: `Enable${addForce ? ' and force' : ''} row-level security on ${name} instead`, kind: 'unsafe', edits });
        report({
          ...at,
          message:
            `ALTER TABLE … DISABLE ROW LEVEL SECURITY is the last word on ${key} in these migrations: with row-level security disabled, ${policies}, ` +
            `and every role granted access to the table reads and changes all of its rows` +
            (ancestor ? `, also when it queries ${key} directly instead of through ${ancestor.table.key} (T29)` : '') +
            (everyTable
              ? `. The loop runs it for every table of the schema it reads from the catalog: after it, add ALTER TABLE ${name} ENABLE ROW LEVEL SECURITY${t ? ' (and FORCE)' : ''}, or leave ${key} out of the loop, unless every role with access may see every row.`
              : `. Replace it with ENABLE ROW LEVEL SECURITY${t ? ' (and FORCE)' : ''}, unless every role with access may see every row.`),
          fixes,
        });
      } else {
        if (sub) fixes.push({ title: `Force row-level security on ${name} instead`, kind: 'unsafe', edits: [{ ...sub.keyword, newText: 'FORCE' }] });
        report({
          ...at,
          message:
            `ALTER TABLE … NO FORCE ROW LEVEL SECURITY is the last word on ${key} in these migrations: other roles are still filtered by its policies, ` +
            `but the table's owner bypasses every policy and sees and changes all rows (T13). Replace it with FORCE ROW LEVEL SECURITY. ` +
            '(Superusers and BYPASSRLS roles bypass RLS even when it is forced.)',
          fixes,
        });
      }
    };

    const tables = tableList(model);
    for (let ti = 0; ti < tables.length; ti++) {
      const t = tables[ti]!;
      if (t.temp || t.rlsEvents.length === 0) continue;
      // enabled and forced: neither word below is reported (most tables; nothing to look up)
      if (t.rlsEnabled && t.rlsForced) continue;
      const enableWord = lastOf(t.rlsEvents, ['enable', 'disable']);
      // consistent with rls-not-enabled (exposed schemas) and policy-on-table-without-rls (tables with policies),
      // which leave a table with a DISABLE to this rule
      const reachable = () => config.exposedSchemas.includes(t.schema) || t.policies.length > 0 || !!rlsAncestor(model, t);
      if (enableWord?.kind === 'disable' && !t.rlsEnabled && reachable()) {
        reportWord({ kind: 'disable', loc: enableWord.loc }, t.key, tableName(model, t, enableWord.loc), t, t.policies.map((p) => p.name));
      }
      // consistent with rls-not-forced (enabled, not forced), which leaves a NO FORCE to this rule
      const forceWord = lastOf(t.rlsEvents, ['force', 'no-force']);
      if (forceWord?.kind === 'no-force' && t.rlsEnabled && !t.rlsForced) {
        reportWord({ kind: 'no-force', loc: forceWord.loc }, t.key, tableName(model, t, forceWord.loc), t, t.policies.map((p) => p.name));
      }
    }

    // Tables the migrations alter but never create (e.g. storage.objects on Supabase).
    for (const [key, events] of model.rlsEventsOfUncreatedTables) {
      // (an ALTER TABLE before the table's CREATE TABLE finds no table, and does nothing to the one
      // made later: its own events decide, above; event-spark-plan's quote_items)
      if (model.tables.has(key)) continue;
      const policyNames = policiesWithKey(model, key).map((p) => p.name);
      if (!config.exposedSchemas.includes(key.split('.')[0]!) && policyNames.length === 0) continue;
      const enableWord = lastOf(events, ['enable', 'disable']);
      const forceWord = lastOf(events, ['force', 'no-force']);
      const name = nameAsWritten(model, enableWord?.loc ?? forceWord?.loc) ?? key;
      if (enableWord?.kind === 'disable') reportWord({ kind: 'disable', loc: enableWord.loc }, key, name, undefined, policyNames);
      else if (forceWord?.kind === 'no-force') reportWord({ kind: 'no-force', loc: forceWord.loc }, key, name, undefined, policyNames);
    }
  },
});

/** The relation name of an ALTER TABLE statement as written. */
function nameAsWritten(model: Model, loc: Loc | undefined): string | undefined {
  if (!loc) return undefined;
  const text = fileOf(model, loc.file)?.text.slice(loc.start, loc.end) ?? '';
  const m = /^ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?((?:"(?:[^"]|"")*"|[\w$]+)(?:\s*\.\s*(?:"(?:[^"]|"")*"|[\w$]+))?)/i.exec(text);
  return m?.[1];
}
