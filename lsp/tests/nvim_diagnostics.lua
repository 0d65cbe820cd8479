-- A real LSP client against `policy lsp`: a headless Neovim runs the Neovim
-- set-up of docs/editors.md (read from that file, so the documented set-up is
-- the one tested), opens a file and waits for the server's diagnostics.
--
--   POLICY_BIN=target/debug/policy \
--     nvim --headless -u NONE -i NONE -n -c 'luafile lsp/tests/nvim_diagnostics.lua' FILE
--
-- FILE (a `.policy` file, or a YAML/JSON document below a `policy.toml`) may
-- also be given as POLICY_FILE. POLICY_TIMEOUT_MS (default 10000) bounds the
-- wait. Prints `DIAGNOSTICS <n>` on standard output and exits 0 once
-- diagnostics arrived for FILE; prints `NO DIAGNOSTICS` and exits 1 if none
-- did in time; exits 2 on a usage error or when the set-up cannot be read.
-- Details (the diagnostics, what went wrong) go to standard error.
--
-- The set-up is the section "Neovim 0.11 and later" on Neovim 0.11+, else
-- "Neovim 0.7 to 0.10" (Debian bookworm ships 0.7.2); ACCORD_NVIM_SETUP=legacy
-- forces the latter. `{ 'policy', 'lsp' }` in it becomes `{ POLICY_BIN, 'lsp' }`.
-- ACCORD_EDITORS_MD overrides the path of docs/editors.md.

local function out(s)
  io.stdout:write(s .. '\n')
  io.stdout:flush()
end

local function err(s)
  io.stderr:write(s .. '\n')
  io.stderr:flush()
end

local get_clients = vim.lsp.get_clients or vim.lsp.get_active_clients

local function finish(code)
  local ids = {}
  for _, c in ipairs(get_clients()) do
    table.insert(ids, c.id)
  end
  if #ids > 0 then
    vim.lsp.stop_client(ids)
    vim.wait(2000, function()
      return #get_clients() == 0
    end, 50)
  end
  if code == 0 then
    vim.cmd('qall!')
  else
    vim.cmd('cquit ' .. code)
  end
end

local function usage_error(message)
  err(message)
  finish(2)
end

-- ------------------------------------------------------------------ inputs

local bin = os.getenv('POLICY_BIN')
local file = vim.fn.argv(0)
if file == nil or file == '' then
  file = os.getenv('POLICY_FILE')
end
if bin == nil or bin == '' or file == nil or file == '' then
  return usage_error(
    'usage: POLICY_BIN=path/to/policy nvim --headless -u NONE -c "luafile nvim_diagnostics.lua" FILE'
  )
end
file = vim.fn.fnamemodify(file, ':p')
local timeout = tonumber(os.getenv('POLICY_TIMEOUT_MS') or '') or 10000

-- ------------------------------------------------- the set-up from the docs

local script = debug.getinfo(1, 'S').source:gsub('^@', '')
local docs = os.getenv('ACCORD_EDITORS_MD')
if docs == nil or docs == '' then
  docs = vim.fn.fnamemodify(script, ':p:h:h:h') .. '/docs/editors.md'
end

local modern = vim.lsp.config ~= nil and vim.lsp.enable ~= nil and os.getenv('ACCORD_NVIM_SETUP') ~= 'legacy'
local heading = modern and '### Neovim 0.11 and later' or '### Neovim 0.7 to 0.10'

--- The first ```lua block after `heading` in the file `path`.
local function lua_block(path, title)
  local f = io.open(path, 'r')
  if f == nil then
    return nil, 'cannot read ' .. path
  end
  local lines, state = {}, 'heading'
  for line in f:lines() do
    if state == 'heading' and line == title then
      state = 'fence'
    elseif state == 'fence' and line:match('^```lua%s*$') then
      state = 'code'
    elseif state == 'code' then
      if line:match('^```%s*$') then
        state = 'done'
        break
      end
      table.insert(lines, line)
    end
  end
  f:close()
  if state ~= 'done' then
    return nil, string.format('no ```lua block under "%s" in %s', title, path)
  end
  return table.concat(lines, '\n')
end

local setup, problem = lua_block(docs, heading)
if setup == nil then
  return usage_error(problem)
end
local replaced
setup, replaced = setup:gsub("{ 'policy', 'lsp' }", function()
  return string.format('{ %q, %q }', bin, 'lsp')
end)
if replaced ~= 1 then
  return usage_error(string.format("expected one `{ 'policy', 'lsp' }` in the set-up, found %d", replaced))
end
-- The legacy set-up's project finder, for a quick answer when there is no project.
if not modern then
  setup = setup .. '\nreturn { root = accord_root }'
end

-- `-u NONE` turns filetype detection off; a normal configuration has it on.
vim.cmd('filetype on')

local chunk, syntax_error = loadstring(setup, '=' .. docs .. ' (' .. heading .. ')')
if chunk == nil then
  return usage_error(syntax_error)
end
local ok, exported = pcall(chunk)
if not ok then
  return usage_error('the set-up failed: ' .. tostring(exported))
end

-- ---------------------------------------------------------------- the test

vim.cmd('edit ' .. vim.fn.fnameescape(file))
local buf = vim.api.nvim_get_current_buf()
local v = vim.version()
err(string.format('nvim %d.%d.%d, set-up "%s": %s (filetype %s)', v.major, v.minor, v.patch,
  heading:gsub('^### ', ''), file, vim.bo[buf].filetype))

if type(exported) == 'table' and exported.root and exported.root(buf) == nil then
  err('no Accord project for ' .. file .. ': a YAML or JSON document needs a policy.toml above it')
  out('NO DIAGNOSTICS')
  return finish(1)
end

local now = (vim.uv or vim.loop).now
local started = now()
local arrived = vim.wait(timeout, function()
  return #vim.diagnostic.get(buf) > 0
end, 50)

local diagnostics = vim.diagnostic.get(buf)
if arrived and #diagnostics > 0 then
  out('DIAGNOSTICS ' .. #diagnostics)
  for _, d in ipairs(diagnostics) do
    err(string.format('  %d:%d %s %s: %s', d.lnum + 1, d.col + 1, vim.diagnostic.severity[d.severity] or '?',
      tostring(d.code or ''), (d.message:gsub('\n', ' '))))
  end
  err(string.format('(after %d ms)', now() - started))
  finish(0)
else
  if #get_clients() == 0 then
    err('no language server is running: ' .. bin .. ' lsp')
  end
  err(string.format('no diagnostics for %s within %d ms', file, timeout))
  out('NO DIAGNOSTICS')
  finish(1)
end
