-- archway.json: a strict JSON decoder for the endpoints payload that
-- archway pushes (Debian's nginx Lua module ships no JSON library).
-- Objects become tables, arrays become sequences, null becomes nil.
-- \u escapes are limited to ASCII: every string archway sends is ASCII.
local byte, sub, find, match, char = string.byte, string.sub, string.find, string.match, string.char
local concat, tonumber, error = table.concat, tonumber, error

local M = {}

local escapes = { [34] = '"', [92] = "\\", [47] = "/", [98] = "\b", [102] = "\f", [110] = "\n", [114] = "\r", [116] = "\t" }
local literals = { [116] = { "true", true }, [102] = { "false", false }, [110] = { "null", nil } }

local function fail(i, what)
  error("json: " .. what .. " at byte " .. i, 0)
end

-- space returns the position of the first non-blank byte at or after i.
local function space(s, i)
  return find(s, "[^ \t\r\n]", i) or #s + 1
end

local value

local function str(s, i)
  local parts, n, j = nil, 0, i + 1
  while true do
    local k = find(s, '["\\%c]', j)
    if not k then fail(i, "unterminated string") end
    local c = byte(s, k)
    if c == 34 then
      if not parts then return sub(s, j, k - 1), k + 1 end
      parts[n + 1] = sub(s, j, k - 1)
      return concat(parts), k + 1
    end
    if c ~= 92 then fail(k, "control character in string") end
    parts = parts or {}
    n = n + 1
    parts[n] = sub(s, j, k - 1)
    local e = byte(s, k + 1)
    if e == 117 then
      local hex = match(s, "^%x%x%x%x", k + 2)
      local cp = hex and tonumber(hex, 16)
      if not cp or cp > 127 then fail(k, "unsupported \\u escape") end
      n = n + 1
      parts[n] = char(cp)
      j = k + 6
    else
      if not escapes[e] then fail(k, "invalid escape") end
      n = n + 1
      parts[n] = escapes[e]
      j = k + 2
    end
  end
end

-- object decodes the object at i; member, if given, is called with each
-- key, value and the value's raw text.
local function object(s, i, member)
  local t = {}
  i = space(s, i + 1)
  if byte(s, i) == 125 then return t, i + 1 end
  while true do
    if byte(s, i) ~= 34 then fail(i, "expected a string key") end
    local k
    k, i = str(s, i)
    i = space(s, i)
    if byte(s, i) ~= 58 then fail(i, "expected ':'") end
    local start = space(s, i + 1)
    t[k], i = value(s, start)
    if member then member(k, t[k], sub(s, start, i - 1)) end
    i = space(s, i)
    local c = byte(s, i)
    if c == 125 then return t, i + 1 end
    if c ~= 44 then fail(i, "expected ',' or '}'") end
    i = space(s, i + 1)
  end
end

local function array(s, i)
  local t, n = {}, 0
  i = space(s, i + 1)
  if byte(s, i) == 93 then return t, i + 1 end
  while true do
    n = n + 1
    t[n], i = value(s, i)
    i = space(s, i)
    local c = byte(s, i)
    if c == 93 then return t, i + 1 end
    if c ~= 44 then fail(i, "expected ',' or ']'") end
    i = space(s, i + 1)
  end
end

function value(s, i)
  local c = byte(s, i)
  if c == 123 then return object(s, i) end
  if c == 91 then return array(s, i) end
  if c == 34 then return str(s, i) end
  local lit = literals[c]
  if lit then
    if sub(s, i, i + #lit[1] - 1) ~= lit[1] then fail(i, "invalid literal") end
    return lit[2], i + #lit[1]
  end
  local num = match(s, "^-?%d+%.?%d*[eE]?[-+]?%d*", i)
  local v = num and tonumber(num)
  if not v then fail(i, "unexpected character") end
  return v, i + #num
end

-- decode returns the value that s holds. With member, s must hold an
-- object, and member(key, value, raw) is called for each of its members.
-- Errors are raised as strings.
function M.decode(s, member)
  local i = space(s, 1)
  local v
  if member then
    if byte(s, i) ~= 123 then fail(i, "expected an object") end
    v, i = object(s, i, member)
  else
    v, i = value(s, i)
  end
  if space(s, i) <= #s then fail(i, "trailing data") end
  return v
end

return M
