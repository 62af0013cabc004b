// End-to-end test of the packaged extension in a real VS Code (code-server 4.100.3 driven
// through Debian chromium with playwright-core). Called by run.mjs, which installs the
// environment and builds the .vsix first.
//
// Every wait is on a UI or disk state with a generous timeout, never a fixed sleep; a step
// that times out fails with what it was waiting for and a screenshot (FAIL-*.png), and the
// next steps still run. All state lives in one temp folder; code-server runs in its own
// process group, killed as a whole at the end.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURES = join(root, 'test', 'e2e', 'fixtures');

const sec = (ms) => `${(ms / 1000).toFixed(1)} s`;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Polls `probe` until it returns a truthy value; throws naming `what` (and the last value seen). */
async function waitFor(what, probe, timeoutMs = 30_000, intervalMs = 150) {
  const t0 = Date.now();
  let last;
  let lastErr;
  while (Date.now() - t0 < timeoutMs) {
    try {
      last = await probe();
      if (last) return last;
    } catch (e) {
      lastErr = e;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  const seen = lastErr ? `; last error: ${lastErr.message.split('\n')[0]}` : last !== undefined ? `; last seen: ${JSON.stringify(last)?.slice(0, 300)}` : '';
  throw new Error(`timed out after ${sec(timeoutMs)} waiting for ${what}${seen}`);
}

/**
 * A 20,000-line migration: 1,999 tables with RLS forced and an owner policy, and one without RLS at
 * the end. Alone, the file has that one finding. In the e2e workspace, once the snippet step's
 * 030_audit.sql grants SELECT, every owner policy also gets policy-role-without-grant (info): 2,000
 * diagnostics, of which VS Code keeps 1,000 per file (errors and warnings first).
 */
export function bigMigration(lines = 20_000) {
  const out = ['-- generated: a long migration history in one file'];
  let i = 0;
  while (out.length < lines - 12) {
    i++;
    out.push(
      `CREATE TABLE big_${i} (`,
      '  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,',
      '  owner_id uuid NOT NULL,',
      '  body text',
      ');',
      `CREATE INDEX big_${i}_owner_id_idx ON big_${i} (owner_id);`,
      `ALTER TABLE big_${i} ENABLE ROW LEVEL SECURITY;`,
      `ALTER TABLE big_${i} FORCE ROW LEVEL SECURITY;`,
      `CREATE POLICY big_${i}_owner ON big_${i} FOR SELECT TO authenticated`,
      '  USING (owner_id = (select auth.uid()));',
    );
  }
  out.push('CREATE TABLE big_unprotected (', '  id bigint PRIMARY KEY', ');');
  while (out.length < lines) out.push('-- end');
  return out.join('\n') + '\n';
}

export async function runVsCode({ codeServer, chromium: chromiumPath, vsix, tmp, capabilities, snippet, results }) {
  const { chromium } = await import('playwright-core');
  const shots = join(tmp, 'screenshots');
  const ws = join(tmp, 'workspace');
  const userData = join(tmp, 'user-data');
  const extDir = join(tmp, 'extensions');
  for (const d of [shots, ws, userData, extDir, join(userData, 'User'), join(tmp, 'xdg-config'), join(tmp, 'xdg-data'), join(tmp, 'xdg-cache')]) mkdirSync(d, { recursive: true });

  // ---- the workspace: examples/ plus the fixtures ----
  cpSync(join(root, 'examples'), join(ws, 'examples'), { recursive: true });
  cpSync(join(FIXTURES, 'app'), join(ws, 'app'), { recursive: true });
  cpSync(join(FIXTURES, 'lb'), join(ws, 'lb'), { recursive: true });
  const APP = join(ws, 'app', '010_app.sql');
  const ORDERS = join(ws, 'app', '020_orders_rls.sql');

  const settings = {
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoUpdate': false,
    'extensions.autoCheckUpdates': false,
    'extensions.ignoreRecommendations': true,
    'security.workspace.trust.enabled': false,
    'git.enabled': false,
    'editor.hover.delay': 100,
    'editor.minimap.enabled': false,
    'editor.fontSize': 15,
    'window.zoomLevel': 0,
    'workbench.colorTheme': 'Default Light Modern',
    // Typing must insert exactly what the test types: no popups, no auto-closing, no auto-indent.
    'editor.quickSuggestions': { other: false, comments: false, strings: false },
    'editor.suggestOnTriggerCharacters': false,
    'editor.parameterHints.enabled': false,
    'editor.autoClosingBrackets': 'never',
    'editor.autoClosingQuotes': 'never',
    'editor.autoIndent': 'none',
    'editor.formatOnType': false,
    'editor.wordBasedSuggestions': 'off',
    'editor.snippetSuggestions': 'top',
    'editor.lightbulb.enabled': 'off',
    'files.autoSave': 'off',
    'files.refactoring.autoSave': true,
    'problems.defaultViewMode': 'tree',
    'workbench.editor.enablePreview': false,
  };
  writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  writeFileSync(join(tmp, 'config.yaml'), 'auth: none\n');

  const env = {
    ...process.env,
    XDG_CONFIG_HOME: join(tmp, 'xdg-config'),
    XDG_DATA_HOME: join(tmp, 'xdg-data'),
    XDG_CACHE_HOME: join(tmp, 'xdg-cache'),
    HOME: process.env.HOME,
  };
  const csArgs = ['--config', join(tmp, 'config.yaml'), '--user-data-dir', userData, '--extensions-dir', extDir];

  // ---- install the .vsix ----
  const inst = spawnSync(process.execPath, [codeServer, ...csArgs, '--install-extension', vsix], { env, encoding: 'utf8', timeout: 180_000 });
  const installedOut = `${inst.stdout}${inst.stderr}`;
  if (inst.status !== 0 || !/successfully installed/i.test(installedOut)) {
    results.fail('install the .vsix into code-server', new Error(`exit ${inst.status}: ${installedOut.trim().slice(-800)}`));
    return;
  }
  results.pass('install the .vsix into code-server');

  // ---- start code-server in its own process group ----
  const port = await freePort();
  const csLog = join(tmp, 'code-server.log');
  const server = spawn(
    process.execPath,
    [
      codeServer,
      ...csArgs,
      '--auth', 'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
      '--bind-addr', `127.0.0.1:${port}`,
      ws,
    ],
    { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let csOutput = '';
  const collect = (b) => {
    csOutput += b;
    if (csOutput.length > 1 << 20) csOutput = csOutput.slice(-(1 << 19));
  };
  server.stdout.on('data', collect);
  server.stderr.on('data', collect);
  const killGroup = () => {
    try {
      process.kill(-server.pid, 'SIGTERM');
    } catch {}
    try {
      // whatever ignored SIGTERM (extension host, language server)
      process.kill(-server.pid, 'SIGKILL');
    } catch {}
  };
  process.on('exit', killGroup);

  let browser;
  try {
    await waitFor(`code-server on port ${port} (GET /healthz)`, async () => {
      if (server.exitCode !== null) throw new Error(`code-server exited (${server.exitCode}): ${csOutput.slice(-500)}`);
      const r = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
      return r?.ok;
    }, 90_000, 300);

    browser = await chromium.launchPersistentContext(join(tmp, 'chromium-profile'), {
      executablePath: chromiumPath,
      headless: true,
      viewport: { width: 1440, height: 900 },
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    });
    const page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(30_000);
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(ws)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    await page.locator('.explorer-folders-view, .explorer-viewlet').first().waitFor({ timeout: 90_000 }).catch(() => undefined);

    const d = await drive({ page, ws, shots, results, capabilities, snippet, extDir, APP, ORDERS });
    return d;
  } catch (err) {
    results.fail('code-server session', err);
  } finally {
    try {
      if (browser) await Promise.race([browser.close(), new Promise((r) => setTimeout(r, 15_000))]);
    } catch {}
    killGroup();
    writeFileSync(csLog, csOutput);
  }
}

// ------------------------------------------------------------------------------------------
// The steps

async function drive({ page, ws, shots, results, capabilities, snippet, extDir, APP, ORDERS }) {
  let shotNo = 0;
  const shot = async (name) => {
    const file = join(shots, `${String(++shotNo).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path: file }).catch(() => undefined);
    return file;
  };
  /** Runs one check; a failure is recorded with a screenshot and the run goes on. */
  const step = async (name, fn, timeoutMs = 120_000) => {
    const t0 = Date.now();
    let timer;
    try {
      await Promise.race([fn(), new Promise((_, rej) => (timer = setTimeout(() => rej(new Error(`step did not finish within ${sec(timeoutMs)}`)), timeoutMs)))]);
      results.pass(`${name} (${sec(Date.now() - t0)})`);
      return true;
    } catch (err) {
      await shot(`FAIL-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}`);
      results.fail(name, err);
      await page.keyboard.press('Escape').catch(() => undefined);
      return false;
    } finally {
      clearTimeout(timer);
    }
  };

  const kb = page.keyboard;
  const activeEditor = () => page.locator('.editor-group-container.active .monaco-editor[data-uri]').first();

  /** Text of the visible lines of the active editor, in order. */
  const editorLines = async () =>
    activeEditor().evaluate((ed) =>
      [...ed.querySelectorAll('.view-lines .view-line')]
        .map((l) => ({ top: parseFloat(l.style.top), text: l.textContent.replace(/\u00a0/g, ' ') }))
        .sort((a, b) => a.top - b.top)
        .map((l) => l.text),
    );

  const openFile = async (name) => {
    const uriEnd = `/${name}`;
    await kb.press('Escape');
    await kb.press('Control+P');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill(name);
    await waitFor(`quick open to list ${name}`, async () => (await page.locator('.quick-input-list .monaco-list-row').first().textContent())?.includes(name.split('/').pop()), 20_000);
    await kb.press('Enter');
    await waitFor(`the editor of ${name}`, async () => (await activeEditor().getAttribute('data-uri'))?.endsWith(uriEnd), 30_000);
    await page.locator('.editor-group-container.active .view-lines .view-line').first().waitFor();
    await activeEditor().click({ position: { x: 200, y: 10 } }).catch(() => undefined);
  };

  const goTo = async (line, col = 1) => {
    await kb.press('Control+G');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`:${line}:${col}`);
    await kb.press('Enter');
    await input.waitFor({ state: 'hidden' });
  };

  const command = async (title) => {
    await kb.press('Escape');
    await kb.press('Control+Shift+P');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${title}`);
    await waitFor(`the command palette to list "${title}"`, async () => {
      const t = await page.locator('.quick-input-list .monaco-list-row.focused, .quick-input-list .monaco-list-row').first().textContent();
      return t?.includes(title.replace(/^.*?: /, ''));
    }, 20_000);
    await kb.press('Enter');
  };

  const save = async () => {
    await kb.press('Control+S');
    await waitFor('the editor to be saved', async () => (await page.locator('.tabs-container .tab.active.dirty').count()) === 0, 20_000);
  };

  /** Squiggles in the active editor, each with the (visible) line text it sits on. */
  const squiggles = async () =>
    activeEditor().evaluate((ed) => {
      const lines = [...ed.querySelectorAll('.view-lines .view-line')].map((l) => {
        const r = l.getBoundingClientRect();
        return { top: r.top, bottom: r.bottom, text: l.textContent.replace(/\u00a0/g, ' ') };
      });
      return [...ed.querySelectorAll('.view-overlays [class*="squiggly-"]')].map((s) => {
        const r = s.getBoundingClientRect();
        const mid = (r.top + r.bottom) / 2;
        const line = lines.find((l) => l.top <= mid && mid < l.bottom);
        const kind = /squiggly-(error|warning|info|hint)/.exec(s.className)?.[1] ?? 'other';
        return { kind, line: line?.text ?? '', x: r.left + r.width / 2, y: mid, width: r.width };
      });
    });

  const problemsOpen = async () => {
    if (await page.locator('.markers-panel').isVisible().catch(() => false)) return;
    await kb.press('Control+Shift+M');
    await page.locator('.markers-panel').waitFor({ state: 'visible' });
  };
  /**
   * Filters the Problems panel to the files named `name` (e.g. `010_app.sql`; empty: all). Its list
   * is virtualised: only visible rows exist. Returns whether the filter text changed.
   *
   * A plain name, not a glob: VS Code makes each comma-separated term of the filter the globs
   * `**` + `/term` and `**` + `/term/**` for the files, and also matches the whole text against every
   * message, as an unanchored regular expression in which `*` becomes `.*`. A `**` + `/` prefix thus
   * makes `.*.*`, cubic in the message length: 17 s for 1,000 messages of 400 characters (the
   * 20,000-line step), on every diagnostics update, with the window frozen meanwhile. The plain
   * name selects the same files and matches in linear time.
   */
  const filterProblems = async (name) => {
    await problemsOpen();
    const f = page.locator('.markers-panel-action-filter input:visible, .viewpane-filter input:visible').first();
    // the input's own value, not what was typed last: a fill can be lost while the panel re-renders
    if ((await f.inputValue()) === name) return false;
    await f.fill(name);
    return true;
  };
  /** The Problems panel rows of one file (aria-labels carry message, source, code and position). */
  const problemRows = async (file) => {
    const changed = await filterProblems(file ?? '');
    const read = () => page.locator('.markers-panel .monaco-list-row').evaluateAll((rows) => rows.map((r) => `${r.getAttribute('aria-label') ?? ''} ${r.textContent ?? ''}`.replace(/\u00a0/g, ' ')));
    if (!changed || !file) return read();
    // The filter applies after a debounce: wait until the list shows only that file (or nothing).
    return waitFor(`the Problems panel filtered to ${file}`, async () => {
      const rows = await read();
      return (rows.length === 0 || rows[0].includes(file)) && rows;
    }, 5_000, 250).catch(() => read());
  };

  const hoverWidget = page.locator('.monaco-hover:not(.hidden)').first();
  const hoverText = async () => ((await hoverWidget.isVisible().catch(() => false)) ? ((await hoverWidget.textContent()) ?? '').replace(/\u00a0/g, ' ') : '');
  /** Waits for the hover's fade-in to end, so a screenshot shows it crisp. */
  const hoverSettled = () => waitFor('the hover to finish fading in', async () => (await hoverWidget.evaluate((el) => getComputedStyle(el.closest('.monaco-hover') ?? el).opacity).catch(() => '0')) === '1', 5_000, 100).catch(() => undefined);
  const moveAway = async () => {
    await page.mouse.move(5, 450);
    await kb.press('Escape');
  };

  /** Hovers the centre of the first element in the active editor whose text is `word` on a line containing `lineText`. */
  const hoverWord = async (lineText, word) => {
    const box = await activeEditor().evaluate(
      (ed, [lineText, word]) => {
        for (const l of ed.querySelectorAll('.view-lines .view-line')) {
          if (!l.textContent.replace(/\u00a0/g, ' ').includes(lineText)) continue;
          // Monaco renders tokens as spans; find the text node range of `word`.
          const walker = document.createTreeWalker(l, NodeFilter.SHOW_TEXT);
          for (let n = walker.nextNode(); n; n = walker.nextNode()) {
            const m = new RegExp(`(^|[^A-Za-z0-9_])(${word})(?![A-Za-z0-9_])`).exec(n.textContent.replace(/\u00a0/g, ' '));
            if (!m) continue;
            const i = m.index + m[1].length;
            const range = document.createRange();
            range.setStart(n, i);
            range.setEnd(n, i + word.length);
            const r = range.getBoundingClientRect();
            return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
          }
        }
        return null;
      },
      [lineText, word],
    );
    if (!box) throw new Error(`"${word}" is not visible on a line containing "${lineText}"`);
    await page.mouse.move(box.x, box.y, { steps: 4 });
  };

  /** Hovers the squiggle on the visible line containing `lineText`; waits for a hover `test` accepts (returns its text). */
  const hoverSquiggle = async (lineText, what, test, timeoutMs = 20_000) => {
    await moveAway();
    const s = (await squiggles()).find((q) => q.line.includes(lineText));
    if (!s) throw new Error(`no squiggle on ${lineText}`);
    await page.mouse.move(s.x, s.y, { steps: 4 });
    const text = await waitFor(what, async () => {
      const t = await hoverText();
      return test(t) && t;
    }, timeoutMs);
    await hoverSettled();
    return text;
  };
  /** The text of the notifications shown (toasts and the notification center). */
  const notificationsText = async () => (await page.locator('.notifications-toasts .notification-list-item, .notifications-center .notification-list-item').allTextContents()).join(' | ');
  const statusProblems = async () => (await page.locator('#status\\.problems').getAttribute('aria-label').catch(() => '')) ?? '';
  const diskText = (f) => readFileSync(f, 'utf8');
  const appBefore = diskText(APP);
  const MSG_NOTES = 'Table public.notes is in the exposed schema "public" but row-level security is never enabled';
  const MSG_ORDERS = 'Table public.orders is in the exposed schema "public" but row-level security is never enabled';
  const MSG_ACCOUNTS = 'Row-level security on public.accounts is enabled but not forced';
  const MSG_SEARCH_PATH = 'SECURITY DEFINER function public.account_count() has no SET search_path';

  // 1. squiggles and Problems panel rows
  await step('open a migration with several anti-patterns: squiggles and Problems panel rows', async () => {
    await openFile('app/010_app.sql');
    const expectOnLine = { 'CREATE TABLE notes': 'warning', 'CREATE TABLE accounts': 'warning', 'CREATE TABLE orders': 'warning', 'LANGUAGE sql STABLE SECURITY DEFINER': 'error' };
    await waitFor('squiggles on the notes, accounts and orders tables and on SECURITY DEFINER', async () => {
      const s = await squiggles();
      return Object.entries(expectOnLine).every(([line, kind]) => s.some((q) => q.kind === kind && q.line.includes(line)));
    }, 90_000);
    const rows = await waitFor('Problems rows for rls-not-enabled, rls-not-forced and definer-search-path-missing from pg-rls-lint', async () => {
      const r = await problemRows('010_app.sql');
      const need = [
        [MSG_NOTES, 'rls-not-enabled'],
        [MSG_ACCOUNTS, 'rls-not-forced'],
        [MSG_SEARCH_PATH, 'definer-search-path-missing'],
      ];
      return need.every(([msg, code]) => r.some((t) => t.includes(msg) && t.includes('pg-rls-lint') && t.includes(code))) && r;
    }, 60_000);
    await shot('squiggles-problems');
  });

  // 2. hover a finding
  await step('hover a finding: message, rule and documentation link', async () => {
    await hoverSquiggle('CREATE TABLE notes', 'a hover with the rls-not-enabled message', (t) => t.includes(MSG_NOTES) && t.includes('rls-not-enabled'));
    await shot('hover-finding');
    await moveAway();
  });

  // 2b. verify on PGlite: the findings it showed say so
  await step('command "Verify findings on PostgreSQL (PGlite)": a summary, and the findings it showed say how', async () => {
    await openFile('app/010_app.sql');
    await command('pg-rls-lint: Verify findings on PostgreSQL (PGlite)');
    const toast = await waitFor('a notification with the verify summary', async () => {
      const t = await notificationsText();
      return /finding\(s\) shown on PostgreSQL \d+/.test(t) && t;
    }, 90_000);
    console.log(`    notification: ${toast.slice(0, 200)}`);
    await shot('verify-summary');
    await kb.press('Escape');
    await hoverSquiggle('CREATE TABLE accounts', 'a hover on the rls-not-forced finding saying verify showed it', (t) =>
      t.includes(MSG_ACCOUNTS) && /Shown on PostgreSQL \d+[^:]* by pg-rls-lint verify: rls_owner \(neither superuser nor BYPASSRLS\) owning public\.accounts, SELECT → 1 row; with FORCE ROW LEVEL SECURITY: 0 rows/.test(t), 30_000);
    await shot('verify-hover');
    await moveAway();
    await command('Notifications: Clear All Notifications').catch(() => undefined);
  });

  // 3. quick fix with Ctrl+.
  await step('quick fix with Ctrl+.: file changed on disk, finding gone', async () => {
    await moveAway();
    await goTo(2, 15);
    await kb.press('Control+.');
    let asked = Date.now();
    const rows = page.locator('.action-widget .monaco-list-row');
    const title = 'Enable and force row-level security on notes';
    await waitFor(`the quick-fix menu to offer "${title}"`, async () => {
      if ((await rows.allTextContents()).some((t) => t.includes(title))) return true;
      // on a loaded machine a first request can come back empty ("No code actions available"): ask again
      if (Date.now() - asked > 5_000) {
        await kb.press('Escape');
        await goTo(2, 15);
        await kb.press('Control+.');
        asked = Date.now();
      }
      return false;
    }, 30_000);
    // The menu sits under a pointer-blocking overlay: move the focus with the keyboard.
    await waitFor(`"${title}" to be focused`, async () => {
      const focused = (await page.locator('.action-widget .monaco-list-row.focused').textContent().catch(() => '')) ?? '';
      if (focused.includes(title)) return true;
      await kb.press('ArrowDown');
      return false;
    }, 20_000, 250);
    await shot('quick-fix-menu');
    await kb.press('Enter');
    await waitFor('010_app.sql on disk to contain ALTER TABLE notes ENABLE ROW LEVEL SECURITY', async () => {
      if (/ALTER TABLE notes ENABLE ROW LEVEL SECURITY/i.test(diskText(APP))) return true;
      // files.refactoring.autoSave normally saves it; a dirty editor is saved the way a user would.
      if (await page.locator('.tabs-container .tab.active.dirty').count()) await kb.press('Control+S');
      return false;
    }, 30_000, 500);
    await waitFor('the notes finding to disappear (squiggle and Problems row)', async () => {
      const s = await squiggles();
      const r = await problemRows('010_app.sql');
      return !s.some((q) => q.line.includes('CREATE TABLE notes')) && !r.some((t) => t.includes(MSG_NOTES));
    }, 60_000);
    await shot('quick-fix-applied');
  });

  // 7 (run before "fix all", which would fix orders itself). Cross-file: enable RLS in the second file.
  await step('cross-file: enabling RLS in 020_orders_rls.sql clears the orders finding in 010_app.sql, untouched', async () => {
    const appNow = diskText(APP);
    await waitFor('the orders finding in 010_app.sql', async () => (await problemRows('010_app.sql')).some((t) => t.includes(MSG_ORDERS)), 30_000);
    await openFile('app/020_orders_rls.sql');
    await kb.press('Control+End');
    await kb.type('ALTER TABLE orders ENABLE ROW LEVEL SECURITY;\nALTER TABLE orders FORCE ROW LEVEL SECURITY;\n', { delay: 5 });
    await save();
    await waitFor('the orders finding of 010_app.sql to disappear', async () => !(await problemRows('010_app.sql')).some((t) => t.includes(MSG_ORDERS)), 60_000);
    if (diskText(APP) !== appNow) throw new Error('010_app.sql changed on disk');
    await shot('cross-file');
  });

  // 4. Fix all auto-fixable problems in this file
  await step('command "Fix all auto-fixable problems in this file": result on disk', async () => {
    await openFile('app/010_app.sql');
    await command('pg-rls-lint: Fix all auto-fixable problems in this file');
    await waitFor('the accounts and search_path findings to disappear', async () => {
      const r = await problemRows('010_app.sql');
      return r.length > 0 && !r.some((t) => t.includes(MSG_ACCOUNTS) || t.includes(MSG_SEARCH_PATH));
    }, 60_000);
    await save();
    const disk = diskText(APP);
    for (const re of [/ALTER TABLE accounts FORCE ROW LEVEL SECURITY/, /SECURITY DEFINER SET search_path = public, pg_temp/, /ALTER TABLE notes ENABLE ROW LEVEL SECURITY/]) {
      if (!re.test(disk)) throw new Error(`010_app.sql on disk lacks ${re}:\n${disk}`);
    }
    await goTo(1, 1);
    await shot('fix-all');
  });

  // 5. snippet
  if (!snippet) {
    results.skip('snippet rls-audit-table', 'snippets/sql.code-snippets has no "rls-audit-table" prefix yet');
  } else {
    await step(`snippet ${snippet.prefix}: expands, and adds no finding`, async () => {
      const file = join(ws, 'app', '030_audit.sql');
      writeFileSync(file, '-- audit table from the snippet\n');
      await openFile('app/030_audit.sql');
      const countsBefore = await waitFor('the status bar problem counts', statusProblems, 10_000);
      await kb.press('Control+End');
      await kb.type(snippet.prefix, { delay: 10 });
      await kb.press('Control+Space');
      await waitFor(`the suggestion ${snippet.prefix}`, async () => {
        const focused = (await page.locator('.suggest-widget .monaco-list-row.focused').textContent().catch(() => '')) ?? '';
        return focused.includes(snippet.prefix);
      }, 20_000);
      await shot('snippet-suggest');
      await kb.press('Enter');
      await waitFor('the expanded snippet in the editor', async () => (await editorLines()).join('\n').includes(snippet.expect), 20_000);
      await kb.press('Escape');
      // A probe finding proves the server has linted the expanded text: once its squiggle
      // shows, every other squiggle of this file would show too.
      await kb.press('Control+End');
      await kb.type('\nCREATE TABLE e2e_probe (id int);', { delay: 5 });
      const s = await waitFor('the probe finding (the server linted the snippet)', async () => {
        const q = await squiggles();
        return q.some((x) => x.line.includes('e2e_probe')) && q;
      }, 60_000);
      const others = s.filter((x) => !x.line.includes('e2e_probe'));
      if (others.length) throw new Error(`the snippet's text has findings: ${others.map((o) => `${o.kind} on "${o.line.trim()}"`).join('; ')}`);
      // remove the probe line exactly (undo groups are not reliable), save the snippet's text
      await kb.press('Control+End');
      await kb.press('Shift+Home');
      await kb.press('Backspace');
      await kb.press('Backspace');
      await waitFor('the probe to be removed', async () => !(await editorLines()).join('\n').includes('e2e_probe'), 10_000);
      await save();
      // (the filter also shows another file's finding whose related place is in 030_audit.sql:
      // the example migrations make an audit_log too, in the same database; only rows under
      // 030_audit.sql's own header count)
      const ownRows = (rows) => {
        let own = false;
        return rows.filter((t) => {
          if (!t.includes('pg-rls-lint') && !t.includes('[Ln')) own = t.includes('030_audit.sql');
          return own && t.includes('pg-rls-lint');
        });
      };
      await waitFor('030_audit.sql without any squiggle or Problems row', async () => (await squiggles()).length === 0 && ownRows(await problemRows('030_audit.sql')).length === 0, 60_000);
      const countsAfter = await statusProblems();
      if (countsAfter !== countsBefore) console.log(`    note: workspace problem counts before/after the snippet: ${countsBefore} → ${countsAfter} (its GRANT makes policy-role-without-grant apply to the other files)`);
      await goTo(1, 1);
      await shot('snippet-expanded');
      if (!diskText(file).includes(snippet.expect)) throw new Error(`030_audit.sql on disk lacks the snippet text "${snippet.expect}"`);
    });
  }

  // 6. insight: hover a table, CodeLens
  if (!capabilities?.hoverProvider) {
    results.skip('hover a table name: RLS summary', 'the server does not advertise hoverProvider');
  } else {
    await step('hover a table name: RLS summary with its policies', async () => {
      await openFile('app/010_app.sql');
      await moveAway();
      await hoverWord('CREATE POLICY accounts_owner ON accounts', 'accounts');
      let hovered = Date.now();
      const t = await waitFor('a table hover for public.accounts with its policy', async () => {
        const h = await hoverText();
        if (h.includes('public.accounts') && /RLS\s*on/.test(h) && h.includes('accounts_owner')) return h;
        // a hover that came back empty on a loaded machine: hover again
        if (Date.now() - hovered > 5_000) {
          await moveAway();
          await hoverWord('CREATE POLICY accounts_owner ON accounts', 'accounts');
          hovered = Date.now();
        }
        return false;
      }, 20_000);
      if (!/forced/.test(t)) throw new Error(`the hover does not say the table is forced: ${t.slice(0, 300)}`);
      await hoverSettled();
      await shot('hover-table');
      await moveAway();
    });
  }
  if (!capabilities?.codeLensProvider) {
    results.skip('CodeLens above CREATE TABLE', 'the server does not advertise codeLensProvider');
  } else {
    await step('CodeLens above CREATE TABLE: RLS state and policy count', async () => {
      await openFile('app/010_app.sql');
      await goTo(1, 1);
      const lenses = await waitFor('CodeLens "RLS on · forced · 1 policy" above CREATE TABLE accounts', async () => {
        const t = await page.locator('.editor-group-container.active .codelens-decoration').allTextContents();
        const clean = t.map((x) => x.replace(/\u00a0/g, ' '));
        return clean.some((x) => x.includes('RLS on · forced · 1 policy')) && clean;
      }, 45_000);
      console.log(`    CodeLens: ${lenses.join(' | ')}`);
      await shot('codelens');
    });
  }

  // ---- robustness ----

  await step("a Liquibase changelog: its own SQL's finding shown on it, gone as the fix is typed, before a save", async () => {
    const LB = join(ws, 'lb', 'master.xml');
    const lbBefore = diskText(LB);
    const MSG_LB = 'Policy "lb_notes_owner" on public.lb_notes has no effect';
    await openFile('lb/master.xml');
    await waitFor('the policy-on-table-without-rls row of master.xml', async () => (await problemRows('master.xml')).some((t) => t.includes(MSG_LB) && t.includes('policy-on-table-without-rls')), 60_000);
    await goTo(5, 1); // (the CREATE POLICY's line, inside <sql>)
    await kb.type('ALTER TABLE public.lb_notes ENABLE ROW LEVEL SECURITY; ', { delay: 5 });
    await waitFor('the row to go while the changelog is unsaved', async () => !(await problemRows('master.xml')).some((t) => t.includes(MSG_LB)), 60_000);
    if (diskText(LB) !== lbBefore) throw new Error('master.xml was saved');
    await shot('liquibase-changelog');
    await save();
  });

  await step('files: creating, renaming and deleting a .sql file updates the findings', async () => {
    await kb.press('Control+K');
    await kb.press('Control+W'); // close all editors: the files on disk are what counts now
    const extra = join(ws, 'app', '040_extra.sql');
    const renamed = join(ws, 'app', '041_renamed.sql');
    const MSG_EXTRA = 'Table public.extra_e2e is in the exposed schema';
    writeFileSync(extra, 'CREATE TABLE extra_e2e (id int);\n');
    await waitFor('a finding for the created 040_extra.sql', async () => (await problemRows('040_extra.sql')).some((t) => t.includes(MSG_EXTRA)), 60_000);
    renameSync(extra, renamed);
    await waitFor('the finding to move to 041_renamed.sql', async () => (await problemRows('041_renamed.sql')).some((t) => t.includes(MSG_EXTRA)), 60_000);
    await waitFor('no finding left for the old name 040_extra.sql', async () => !(await problemRows('040_extra.sql')).some((t) => t.includes(MSG_EXTRA)), 60_000);
    rmSync(renamed);
    await waitFor('the finding to go with the deleted file', async () => !(await problemRows('041_renamed.sql')).some((t) => t.includes(MSG_EXTRA)), 60_000);
    // deleting the file that enabled RLS on orders brings the orders finding back
    rmSync(ORDERS);
    await waitFor('the orders finding of 010_app.sql to come back after deleting 020_orders_rls.sql', async () => (await problemRows('010_app.sql')).some((t) => t.includes(MSG_ORDERS)), 60_000);
  });

  await step('broken settings (pgRlsLint.exposedSchemas: 42): a clear message, the server keeps working', async () => {
    mkdirSync(join(ws, '.vscode'), { recursive: true });
    writeFileSync(join(ws, '.vscode', 'settings.json'), JSON.stringify({ 'pgRlsLint.exposedSchemas': 42 }, null, 2));
    const toast = await waitFor('a notification naming pgRlsLint.exposedSchemas', async () => {
      const t = await notificationsText();
      return /exposedSchemas/.test(t) && t;
    }, 45_000);
    console.log(`    notification: ${toast.slice(0, 200)}`);
    await shot('broken-settings');
    const f = join(ws, 'app', '050_after_settings.sql');
    writeFileSync(f, 'CREATE TABLE after_settings (id int);\n');
    await waitFor('the server to still report findings (050_after_settings.sql)', async () => (await problemRows('050_after_settings.sql')).some((t) => t.includes('public.after_settings')), 60_000);
    rmSync(f);
    rmSync(join(ws, '.vscode'), { recursive: true });
    await command('Notifications: Clear All Notifications').catch(() => undefined);
  });

  await step('invalid .pg-rls-lint.json: a clear message, the server keeps working', async () => {
    const cfg = join(ws, '.pg-rls-lint.json');
    writeFileSync(cfg, '{ "rules": { "rls-not-enabled": "loud" }, \n');
    const toast = await waitFor('a notification naming .pg-rls-lint.json', async () => {
      const t = await notificationsText();
      return /\.pg-rls-lint\.json/.test(t) && t;
    }, 45_000);
    console.log(`    notification: ${toast.slice(0, 200)}`);
    await shot('invalid-config');
    const f = join(ws, 'app', '060_after_config.sql');
    writeFileSync(f, 'CREATE TABLE after_config (id int);\n');
    await waitFor('the server to still report findings (060_after_config.sql)', async () => (await problemRows('060_after_config.sql')).some((t) => t.includes('public.after_config')), 60_000);
    rmSync(f);
    rmSync(cfg);
    await command('Notifications: Clear All Notifications').catch(() => undefined);
  });

  await step(".pg-rls-lint.json is checked against the extension's JSON schema as it is edited: a wrong severity and an unknown key are Problems rows, a comment is not", async () => {
    const cfg = join(ws, '.pg-rls-lint.json');
    writeFileSync(cfg, '{\n  // a comment, as the file may hold\n  "rules": { "rls-not-forced": "loud" },\n  "exposedschemas": ["api"],\n}\n');
    await openFile('.pg-rls-lint.json');
    const rows = await waitFor('Problems rows of the JSON schema for .pg-rls-lint.json', async () => {
      const r = await problemRows('.pg-rls-lint.json');
      return r.some((t) => /Value is not accepted/.test(t)) && r.some((t) => /exposedschemas is not allowed/.test(t)) && r;
    }, 60_000);
    if (rows.some((t) => /Comments are not permitted|Trailing comma/.test(t))) throw new Error(`the file is not read as JSON with comments: ${rows.join(' | ')}`);
    console.log(`    rows: ${rows.map((t) => t.slice(0, 90)).join(' | ')}`);
    await shot('config-schema');
    await command('View: Close Editor').catch(() => undefined);
    rmSync(cfg);
    await command('Notifications: Clear All Notifications').catch(() => undefined);
  });

  await step('the server restarts itself after a crash: kill it, edit, findings come back', async () => {
    const serverPids = () =>
      execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => l.includes(extDir) && l.includes('dist/server.js'))
        .map((l) => Number(l.trim().split(/\s+/)[0]));
    const [pid] = await waitFor(`a language server process (dist/server.js under ${extDir})`, async () => serverPids().length > 0 && serverPids(), 20_000);
    process.kill(pid, 'SIGKILL');
    await waitFor(`process ${pid} to be gone`, async () => !serverPids().includes(pid), 10_000);
    const f = join(ws, 'app', '070_after_crash.sql');
    writeFileSync(f, 'CREATE TABLE after_crash (id int);\n');
    await openFile('app/070_after_crash.sql');
    await kb.press('Control+End');
    await kb.type('CREATE TABLE after_crash_typed (id int);\n', { delay: 5 });
    await waitFor('findings from a restarted server (after_crash_typed)', async () => (await problemRows('070_after_crash.sql')).some((t) => t.includes('public.after_crash_typed')), 60_000);
    const now = serverPids();
    if (!now.length || now.includes(pid)) throw new Error(`no new server process (pids ${now.join(', ')})`);
    console.log(`    server pid ${pid} killed; restarted as ${now.join(', ')}`);
    await kb.press('Control+Z');
    await kb.press('Control+K');
    await kb.press('Control+W');
    // "Don't Save" if asked
    const dontSave = page.getByRole('button', { name: /Don't Save/ });
    if (await dontSave.isVisible().catch(() => false)) await dontSave.click();
    rmSync(f);
  });

  await step('a 20,000-line migration: diagnostics appear, and update while typing', async () => {
    const big = join(ws, 'big', '900_big.sql');
    mkdirSync(join(ws, 'big'), { recursive: true });
    writeFileSync(big, bigMigration(20_000));
    const t0 = Date.now();
    await openFile('big/900_big.sql');
    await waitFor('the finding at the end of the 20,000-line file (big_unprotected)', async () => (await problemRows('900_big.sql')).some((t) => t.includes('public.big_unprotected')), 120_000, 300);
    const tOpen = Date.now() - t0;
    await goTo(1, 1);
    await kb.press('End');
    const t1 = Date.now();
    await kb.type('\nCREATE TABLE typed_e2e (id int);', { delay: 20 });
    const tTyped = Date.now();
    await waitFor('a squiggle under the typed CREATE TABLE typed_e2e', async () => (await squiggles()).some((q) => q.line.includes('typed_e2e')), 60_000, 100);
    const tDiag = Date.now();
    console.log(`    20,000 lines: first diagnostics ${sec(tOpen)} after opening; typed 33 characters in ${sec(tTyped - t1)}, diagnostics updated ${sec(tDiag - tTyped)} after the last keystroke`);
    await shot('big-file');
    await kb.press('Control+Z');
  }, 240_000);

  return { shots };
}
