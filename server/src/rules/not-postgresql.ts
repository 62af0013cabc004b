import { foreignDialect } from '../analysis/dialect.js';
import { defineRule } from './types.js';
import { counted } from '../analysis/words.js';

export const notPostgresql = defineRule({
  meta: {
    id: 'not-postgresql',
    description: 'A file written for another database (SQLite, MySQL, SQL Server, ClickHouse), a dbt model (a Jinja template), program code or JSON saved as .sql: PostgreSQL rejects it, and it is left out of the schema.',
    severity: 'warning',
    category: 'syntax',
    fixKind: 'none',
    guards: 'PostgreSQL rejects words of other dialects (AUTOINCREMENT, AUTO_INCREMENT, backquotes, PRAGMA, USE db, ENGINE = MergeTree…) with 42601, and MySQL-only column types (DATETIME, TINYINT, LONGTEXT…) with 42704: such a file is no migration of a PostgreSQL database.',
  },
  check({ model, report }) {
    for (const f of model.files) {
      const d = foreignDialect(f);
      if (!d) continue;
      // (a type PostgreSQL lacks is no syntax error: the file's syntax errors are all others)
      const others = d.rejection ? d.errors : d.errors - d.marked;
      report({
        file: f.file,
        start: d.first.start,
        end: Math.max(d.first.end, d.first.start + 1),
        message:
          d.dialect === 'JSON'
            ? `This file holds JSON, not SQL (${d.instead}): PostgreSQL rejects it at its first character with 42601 syntax error, and a migration tool running it stops there. ` +
              `pg-rls-lint leaves the file out of the schema it models. Give it a .json name or move it out of the migrations, or list it in "exclude" of .pg-rls-lint.json (or the pgRlsLint.exclude setting).`
            : `This file looks written for ${d.dialect}, not PostgreSQL: PostgreSQL rejects ${d.dialect.split(' or ').map((x) => `${x}'s`).join(' and ')} ${d.word} with ${d.rejection ?? '42601 syntax error'} (PostgreSQL has ${d.instead})` +
              `${d.marked > 1 ? `, here and at ${counted(d.marked - 1, 'other place')} of the file` : ''}${others ? `, and the file has ${counted(others, d.rejection ? 'syntax error' : 'other syntax error')}` : ''}. ` +
              `pg-rls-lint leaves the whole file out of the schema it models: ${d.parsed + d.errors === 1 ? 'its statement is not' : `none of its ${d.parsed + d.errors} statements is`} checked, and no table it creates is taken for a PostgreSQL one. ` +
              `If the file is not for PostgreSQL, list it in "exclude" of .pg-rls-lint.json (or the pgRlsLint.exclude setting); if it is, write it in PostgreSQL's syntax.`,
      });
    }
  },
});
