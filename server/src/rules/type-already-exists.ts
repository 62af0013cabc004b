import { defineRule } from './types.js';
import { failedFiles, stopsAt, typeRecreations, whatIsLost } from './policy-already-exists.js';
import { fileOf, removeStatement, where } from './lib/util.js';

// A CREATE TYPE (enum, composite, range) or CREATE DOMAIN of a type an earlier migration of the
// same folder made, with nothing dropping it between (policy-already-exists.ts typeRecreations:
// both top-level statements; nothing unseen may drop it), fails with 42710: a migration tool stops
// there, and one running each file in one transaction (the Supabase CLI) applies none of the
// file's statements (Reparalo's second app_role: its DROP POLICY never ran, the FOR ALL USING
// (true) policy stayed). Not reported when the first one's file holds a statement PostgreSQL
// rejects: that file made nothing, and this one is most often the author's retry.

export const typeAlreadyExists = defineRule({
  meta: {
    id: 'type-already-exists',
    description: 'A CREATE TYPE or CREATE DOMAIN of a type an earlier migration creates, with nothing dropping it between: PostgreSQL rejects it (42710) and the migration stops, its file applied in part or not at all.',
    severity: 'error',
    category: 'correctness',
    fixKind: 'unsafe',
    guards:
      'CREATE TYPE and CREATE DOMAIN fail with 42710 type "…" already exists when the schema has a type of that name: the migration stops there, and a tool running each file in one transaction applies none of its statements (its policies, DROP POLICY, grants).',
    shownBy: { statement: ['42710'] },
  },
  check({ model, report }) {
    const list = typeRecreations(model);
    if (list.length === 0) return;
    const failing = failedFiles(model);
    for (const { loc, name, first } of list) {
      if (first.file !== loc.file && failing.has(first.file)) continue;
      const text = fileOf(model, loc.file)?.text ?? '';
      const bare = name.slice(name.indexOf('.') + 1);
      // (the type's name as the statement writes it)
      const m = new RegExp(`(?:"[^"]*"\\s*\\.\\s*|\\w+\\s*\\.\\s*)?"?${bare.replace(/[^\w$]/g, '')}"?`, 'i').exec(text.slice(loc.start, loc.end));
      const start = m ? loc.start + m.index : loc.start;
      const end = m ? start + m[0].length : loc.end;
      report({
        file: loc.file,
        start,
        end,
        message:
          `The type ${name} already exists: it is created at ${where(model, first)}${first.file === loc.file ? '' : ' (an earlier migration)'} and nothing drops it before this statement. ` +
          `PostgreSQL rejects this statement with 42710 type "${bare}" already exists, so a migration tool applying the files in order ${stopsAt(model, loc)}${whatIsLost(model, loc, first.file, 'the file of the first CREATE TYPE')}` +
          'The other rules read the migrations as if it had run. Remove this statement if the type is the same, drop the type first (DROP TYPE fails while columns use it), or change it with ALTER TYPE (… ADD VALUE for an enum).',
        related: [{ ...first, message: `${name} is created here` }],
        fixes: [{ title: `Remove this CREATE of ${name} (the earlier one stays)`, kind: 'unsafe', edits: [removeStatement(model, loc)] }],
      });
    }
  },
});

