-- Headless Neovim (0.7) as a second LSP client of the pg-rls-lint server.
-- Run by test/e2e/neovim.mjs:
--   nvim --headless -u NONE -i NONE -n -c "luafile test/e2e/neovim.lua"
-- Environment: PG_RLS_LINT_SERVER (dist/server.js), PG_RLS_LINT_ROOT (a copy of the fixture
-- workspace), PG_RLS_LINT_RESULT (file receiving one `PASS name` / `FAIL name: why` per check).
local server = assert(os.getenv('PG_RLS_LINT_SERVER'), 'PG_RLS_LINT_SERVER')
local root = assert(os.getenv('PG_RLS_LINT_ROOT'), 'PG_RLS_LINT_ROOT')
local out = assert(io.open(assert(os.getenv('PG_RLS_LINT_RESULT'), 'PG_RLS_LINT_RESULT'), 'w'))
local file = root .. '/app/010_app.sql'
local failures = 0

local function report(ok, name, why)
  if not ok then failures = failures + 1 end
  out:write((ok and 'PASS' or 'FAIL') .. '\t' .. name .. '\t' .. ((not ok and why) or ''):gsub('\n', ' // ') .. '\n')
  out:flush()
end

local function finish()
  out:close()
  if failures > 0 then vim.cmd('cquit 1') else vim.cmd('qall!') end
end

-- Neovim 0.7's diagnostic store drops `code` and `data`: keep the raw LSP diagnostics.
local raw = {}
local function on_publish(err, result, ctx, config)
  raw[result.uri] = result.diagnostics
  return vim.lsp.diagnostic.on_publish_diagnostics(err, result, ctx, config)
end

vim.cmd('edit ' .. vim.fn.fnameescape(file))
local bufnr = vim.api.nvim_get_current_buf()
vim.bo[bufnr].filetype = 'sql'
local uri = vim.uri_from_bufnr(bufnr)

local exited = false
local client_id = vim.lsp.start_client({
  name = 'pg-rls-lint',
  cmd = { 'node', '--max-semi-space-size=8', '--v8-pool-size=1', server, '--stdio' },
  root_dir = root,
  workspace_folders = { { uri = vim.uri_from_fname(root), name = 'workspace' } },
  settings = { pgRlsLint = {} },
  handlers = { ['textDocument/publishDiagnostics'] = on_publish },
  on_exit = function() exited = true end,
})
if not client_id then
  report(false, 'start the server', 'vim.lsp.start_client returned nil')
  return finish()
end
vim.lsp.buf_attach_client(bufnr, client_id)

local function find(code, line)
  for _, d in ipairs(raw[uri] or {}) do
    if d.code == code and (line == nil or d.range.start.line == line) then return d end
  end
end

local function codes()
  local t = {}
  for _, d in ipairs(raw[uri] or {}) do t[#t + 1] = string.format('%s@%d', tostring(d.code), d.range.start.line + 1) end
  return table.concat(t, ', ')
end

-- 1. diagnostics
local got = vim.wait(60000, function()
  return exited or (find('rls-not-enabled', 1) and find('rls-not-forced', 7) and find('definer-search-path-missing')) ~= nil
end, 100)
local notes = find('rls-not-enabled', 1)
report(got and not exited and notes ~= nil and notes.source == 'pg-rls-lint' and find('rls-not-forced', 7) ~= nil and find('definer-search-path-missing') ~= nil,
  'neovim: diagnostics (rls-not-enabled, rls-not-forced, definer-search-path-missing from pg-rls-lint)',
  exited and 'the server exited' or ('got: ' .. codes()))
if not notes then return finish() end
if not (notes.message or ''):find('public.notes', 1, true) then report(false, 'neovim: diagnostic message', notes.message) end

-- 1b. verify (the README's command): the rls-not-forced finding then says how the engine showed it
local verified = vim.lsp.buf_request_sync(bufnr, 'workspace/executeCommand', { command = 'pgRlsLint.server.verify', arguments = {} }, 120000) or {}
local summary = ''
for _, r in pairs(verified) do
  for _, p in ipairs((r.result or {}).projects or {}) do summary = summary .. vim.inspect(p) end
end
local shown = vim.wait(30000, function()
  local d = find('rls-not-forced', 7)
  return d ~= nil and (d.message or ''):find('Shown on PostgreSQL', 1, true) ~= nil
end, 100)
report(shown, 'neovim: pgRlsLint.server.verify, then the rls-not-forced diagnostic says the engine showed it',
  'summary: ' .. summary .. '; message: ' .. tostring((find('rls-not-forced', 7) or {}).message))

-- 2. code action on the notes finding
local params = {
  textDocument = { uri = uri },
  range = notes.range,
  context = { diagnostics = { notes }, only = { 'quickfix' } },
}
local responses = vim.lsp.buf_request_sync(bufnr, 'textDocument/codeAction', params, 20000) or {}
local action
local titles = {}
for _, r in pairs(responses) do
  for _, a in ipairs(r.result or {}) do
    titles[#titles + 1] = a.title
    if a.title:find('Enable and force row-level security on notes', 1, true) then action = a end
  end
end
report(action ~= nil, 'neovim: code action "Enable and force row-level security on notes" offered', 'got: ' .. table.concat(titles, ' | '))
if not action then return finish() end

if action.edit then
  vim.lsp.util.apply_workspace_edit(action.edit, 'utf-16')
elseif action.command then
  local cmd = type(action.command) == 'table' and action.command or action
  vim.lsp.buf_request_sync(bufnr, 'workspace/executeCommand', { command = cmd.command, arguments = cmd.arguments }, 20000)
end
local text = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), '\n')
report(text:find('ALTER TABLE notes ENABLE ROW LEVEL SECURITY', 1, true) ~= nil, 'neovim: the code action edits the buffer', 'buffer:\n' .. text)

-- 3. the finding is gone (the server re-lints the changed buffer)
local gone = vim.wait(30000, function()
  return raw[uri] ~= nil and find('rls-not-enabled', 1) == nil and find('rls-not-forced') ~= nil
end, 100)
report(gone, 'neovim: the finding is gone after the fix (other findings stay)', 'got: ' .. codes())
vim.cmd('write')

vim.lsp.stop_client(client_id)
vim.wait(5000, function() return exited end, 50)
finish()
