-- archway.balancer: routes each proxied request to an endpoint of the
-- backend its location names in $archway_backend.
--
-- Endpoints live in the shared dict "archway_backends", one entry per
-- backend ("b:" .. name, the backend's JSON from the pushed payload), and
-- "gen", bumped by every push that changed an entry. Each worker decodes a
-- backend on first use and again only after a push changed its entry.
-- An entry with "main" is a canary route: rewrite() picks its main
-- backend or one of its canaries per request (see model.Canary); an
-- "unresolved" canary's share answers 500. An entry with "candidates" is
-- a location's conditional routes: rewrite() takes the first whose
-- conditions hold (see model.Candidate), or answers 404; one without
-- "main" answers 500.
--
-- Phases: rewrite() answers 503 for an unknown backend or one without
-- endpoints, and handles cookie affinity (it may set a cookie, which the
-- balancer phase cannot); balance() picks the peer, and on a retry another
-- one; log() feeds response times back to EWMA.
local json = require "archway.json"
local ngx_balancer = require "ngx.balancer"

local ngx, var, shared = ngx, ngx.var, ngx.shared
local find, match, sub, gsub, lower = string.find, string.match, string.sub, string.gsub, string.lower
local re_find = ngx.re.find
local floor, exp, random, min = math.floor, math.exp, math.random, math.min
local crc32 = ngx.crc32_long

local M = {}

M.PREFIX = "b:" -- dict key prefix of backend entries
M.GENERATION = "gen" -- dict key of the push generation
local MAX_TRIES = 3 -- attempts per request, fewer when fewer endpoints
local RING_POINTS = 64 -- points per endpoint on the consistent-hash ring
local DECAY = 10 -- seconds for an EWMA sample to fade to 1/e
local FAILURE_PENALTY = 10 -- seconds of EWMA cost added by a failed attempt

local algorithms = { round_robin = true, ewma = true }
local same_sites = { Strict = true, Lax = true, None = true }

local cache = {} -- name -> decoded backend, this worker only

local function check(ok, what)
  if not ok then error("invalid " .. what, 0) end
end

local function optional_string(v, pattern, what)
  check(v == nil or (type(v) == "string" and #v <= 256 and find(v, pattern) ~= nil), what)
end

-- parse validates one decoded backend and returns it ready for picking,
-- carrying over the per-endpoint statistics of prev. Errors are raised.
function M.parse(t, prev)
  check(type(t) == "table" and type(t.endpoints) == "table", "backend")
  optional_string(t.algorithm, "^[a-z_]+$", "algorithm")
  check(t.algorithm == nil or algorithms[t.algorithm], "algorithm")
  optional_string(t.hash_by, "^[a-z_][a-z0-9_]*$", "hash_by")
  local c = t.cookie
  if c ~= nil then
    check(type(c) == "table", "cookie")
    optional_string(c.name, "^[%w_-]+$", "cookie name")
    check(c.name ~= nil, "cookie name")
    optional_string(c.path, "^/[%w%-%._~/]*$", "cookie path")
    local age = c.max_age
    check(age == nil or (type(age) == "number" and age >= 0 and age <= 2147483647 and age == floor(age)), "cookie max_age")
    check(c.same_site == nil or same_sites[c.same_site], "cookie same_site")
    check(c.secure == nil or type(c.secure) == "boolean", "cookie secure")
  end
  local old = {}
  for _, ep in ipairs(prev and prev.endpoints or {}) do old[ep.key] = ep.stats end
  local eps = {}
  for i, key in ipairs(t.endpoints) do
    check(type(key) == "string", "endpoint")
    local host, port = match(key, "^(%d+%.%d+%.%d+%.%d+):(%d+)$")
    if not host then host, port = match(key, "^(%[[%x:.]+%]):(%d+)$") end
    port = tonumber(port)
    if not (host and port >= 1 and port <= 65535) then check(false, "endpoint " .. key) end
    eps[i] = { key = key, host = host, port = port, stats = old[key] or { ewma = 0, at = 0, inflight = 0 } }
  end
  return { endpoints = eps, algorithm = t.algorithm or "round_robin", hash_by = t.hash_by, cookie = c, next = 0 }
end

local function count(v, lo, hi, what)
  check(type(v) == "number" and v >= lo and v <= hi and v == floor(v), what)
end

-- parse_route validates one decoded canary route. The header and cookie
-- names become the names of the nginx variables that hold them.
function M.parse_route(t)
  check(type(t) == "table" and type(t.canaries) == "table", "canary route")
  optional_string(t.main, "^[a-z0-9_.-]+$", "main backend")
  check(t.main ~= nil, "main backend")
  local canaries = {}
  for i, c in ipairs(t.canaries) do
    check(type(c) == "table", "canary")
    optional_string(c.backend, "^[a-z0-9_.-]+$", "canary backend")
    check(c.unresolved == nil or c.unresolved == true, "canary unresolved")
    check(c.strict == nil or (c.strict == true and c.header == nil and c.cookie == nil), "canary strict")
    check((c.backend ~= nil) ~= (c.unresolved == true), "canary backend")
    check(not c.unresolved or (c.header == nil and c.cookie == nil and c.legacy_affinity == nil), "unresolved canary")
    count(c.weight_total, 1, 1000000, "canary weight_total")
    count(c.weight, 0, c.weight_total, "canary weight")
    optional_string(c.header, "^[%w_-]+$", "canary header")
    optional_string(c.header_value, "^[%w%-_.~:/=+@,]+$", "canary header_value")
    check(c.header_pattern == nil or (type(c.header_pattern) == "string" and #c.header_pattern <= 1024), "canary header_pattern")
    if c.header_pattern then
      local _, _, err = re_find("", c.header_pattern, "jo")
      check(err == nil, "canary header_pattern")
    end
    optional_string(c.cookie, "^[%w_-]+$", "canary cookie")
    check(c.legacy_affinity == nil or type(c.legacy_affinity) == "boolean", "canary legacy_affinity")
    canaries[i] = {
      sticky = not c.legacy_affinity and not c.unresolved, unresolved = c.unresolved, strict = c.strict,
      backend = c.backend, share = c.weight / c.weight_total,
      header = c.header and "http_" .. lower((gsub(c.header, "-", "_"))),
      value = c.header_value, pattern = c.header_pattern,
      cookie = c.cookie and "cookie_" .. c.cookie,
    }
  end
  return { main = t.main, canaries = canaries }
end

local methods = {
  GET = true, HEAD = true, POST = true, PUT = true, DELETE = true,
  CONNECT = true, OPTIONS = true, TRACE = true, PATCH = true,
}

-- conditions validates a candidate's header or query conditions; header
-- names are lowered, as ngx.req.get_headers() gives them.
local function conditions(list, name_pattern, max_value, lowered, what)
  if list == nil then return {} end
  check(type(list) == "table" and #list <= 16, what)
  local out = {}
  for i, c in ipairs(list) do
    check(type(c) == "table", what)
    optional_string(c.name, name_pattern, what .. " name")
    check(c.name ~= nil and type(c.value) == "string" and #c.value >= 1 and #c.value <= max_value
      and find(c.value, "^[\32-\126]+$") ~= nil, what)
    out[i] = { name = lowered and lower(c.name) or c.name, value = c.value }
  end
  return out
end

-- parse_candidates validates one decoded candidate list (model.Candidate):
-- conditions, then the route of each, a canary route of weights.
function M.parse_candidates(t)
  check(type(t) == "table" and type(t.candidates) == "table" and #t.candidates <= 256, "candidates")
  local out = {}
  for i, c in ipairs(t.candidates) do
    check(type(c) == "table", "candidate")
    check(c.method == nil or methods[c.method], "candidate method")
    local route
    if c.main ~= nil then route = M.parse_route({ main = c.main, canaries = c.canaries or {} }) end
    out[i] = {
      method = c.method, route = route,
      headers = conditions(c.headers, "^[%w-]+$", 4096, true, "candidate header"),
      query = conditions(c.query, "^[%w!#$%%&'*+.^_`|~-]+$", 1024, false, "candidate query"),
    }
  end
  return { candidates = out }
end

-- decode validates one decoded payload member, a backend, a canary route
-- or a candidate list. Errors are raised.
function M.decode(t, prev)
  if type(t) == "table" and t.main ~= nil then return M.parse_route(t) end
  if type(t) == "table" and t.candidates ~= nil then return M.parse_candidates(t) end
  return M.parse(t, prev)
end

-- by_cookie maps the cookie value of each endpoint, a hash of its
-- address, to the endpoint.
local function by_cookie(b)
  if not b.by_cookie then
    b.by_cookie = {}
    for _, ep in ipairs(b.endpoints) do
      ep.cookie = sub(ngx.md5(ep.key), 1, 16)
      b.by_cookie[ep.cookie] = ep
    end
  end
  return b.by_cookie
end

-- lookup returns the named backend, or nil when none was pushed.
local function lookup(name)
  local dict = shared.archway_backends
  local gen = dict:get(M.GENERATION) or 0
  local b = cache[name]
  if b and b.gen == gen then return b end
  local raw = dict:get(M.PREFIX .. name)
  if not raw then
    cache[name] = nil
    return nil
  end
  if not (b and b.raw == raw) then
    local ok, parsed = pcall(function() return M.decode(json.decode(raw), b) end)
    if not ok then
      ngx.log(ngx.ERR, "archway: backend ", name, ": ", parsed)
      return nil
    end
    b = parsed
    b.raw = raw
  end
  b.gen = gen
  cache[name] = b
  return b
end

local function round_robin(b, tried)
  local eps = b.endpoints
  for _ = 1, #eps do
    b.next = b.next % #eps + 1
    local ep = eps[b.next]
    if not tried[ep] then return ep end
  end
end

local function ewma_cost(ep, now)
  local s = ep.stats
  return s.ewma * exp(-(now - s.at) / DECAY) * (s.inflight + 1)
end

-- ewma takes the cheaper of two random endpoints not tried yet ("power of
-- two choices"), so that a fast endpoint is favoured without a herd.
local function ewma(b, tried)
  local eps, left = b.endpoints, {}
  for _, ep in ipairs(eps) do
    if not tried[ep] then left[#left + 1] = ep end
  end
  if #left < 2 then return left[1] end
  local i = random(#left)
  local j = random(#left - 1)
  if j >= i then j = j + 1 end
  local now = ngx.now()
  if ewma_cost(left[j], now) < ewma_cost(left[i], now) then i = j end
  return left[i]
end

local function ring(b)
  if b.ring then return b.ring end
  local points = {}
  for _, ep in ipairs(b.endpoints) do
    for k = 1, RING_POINTS do points[#points + 1] = { crc32(ep.key .. "#" .. k), ep } end
  end
  table.sort(points, function(x, y) return x[1] < y[1] or (x[1] == y[1] and x[2].key < y[2].key) end)
  b.ring = points
  return points
end

-- hashed walks the ring from the point of the request's hash key to the
-- first endpoint not tried yet; nil when the key is empty.
local function hashed(b, tried)
  local key = var[b.hash_by]
  if not key or key == "" then return nil end
  local points, h = ring(b), crc32(key)
  local lo, hi = 1, #points
  while lo < hi do
    local mid = floor((lo + hi) / 2)
    if points[mid][1] < h then lo = mid + 1 else hi = mid end
  end
  if points[lo][1] < h then lo = 1 end
  for k = 0, #points - 1 do
    local ep = points[(lo - 1 + k) % #points + 1][2]
    if not tried[ep] then return ep end
  end
end

local function pick(b, tried)
  if b.hash_by then
    local ep = hashed(b, tried)
    if ep then return ep end
  end
  if b.algorithm == "ewma" then return ewma(b, tried) end
  return round_robin(b, tried)
end

local function set_cookie(c, ep)
  local parts = { c.name .. "=" .. ep.cookie, "Path=" .. (c.path or "/"), "HttpOnly" }
  if c.max_age and c.max_age > 0 then parts[#parts + 1] = "Max-Age=" .. c.max_age end
  if c.same_site then parts[#parts + 1] = "SameSite=" .. c.same_site end
  if c.secure then parts[#parts + 1] = "Secure" end
  ngx.header["Set-Cookie"] = table.concat(parts, "; ")
end

-- by_header is the backend a canary's header rule sends the request to,
-- or nil when the rule does not decide.
local function by_header(c, main)
  local v = var[c.header]
  if not v then return nil end
  if c.value then
    if v == c.value then return c.backend end
  elseif c.pattern then
    if re_find(v, c.pattern, "jo") then return c.backend end
  elseif v == "always" then
    return c.backend
  elseif v == "never" then
    return main
  end
end

local function by_cookie_rule(c, main)
  local v = var[c.cookie]
  if v == "always" then return c.backend end
  if v == "never" then return main end
end

-- affinitized reports whether the request's affinity cookie for the
-- named backend names one of its current endpoints.
local function affinitized(name)
  local b = lookup(name)
  local c = b and b.cookie
  return c ~= nil and by_cookie(b)[var["cookie_" .. c.name] or ""] ~= nil
end

-- by_affinity keeps a client on the side its affinity cookie names, as
-- ingress-nginx does: the main backend, or a sticky canary.
local function by_affinity(route)
  if affinitized(route.main) then return route.main end
  for _, c in ipairs(route.canaries) do
    if c.sticky and affinitized(c.backend) then return c.backend end
  end
end

-- choose returns the backend of a canary route for this request: header
-- rules, then cookie rules, then affinity, then weights, then the main
-- backend. A canary without endpoints gives way to the main backend, but
-- for the share of a strict one, which gets nil and 503, as that of an
-- unresolved canary gets nil and 500.
local function choose(route)
  local main, pick = route.main, nil
  for _, c in ipairs(route.canaries) do
    if c.header then pick = by_header(c, main) end
    if pick then break end
  end
  if not pick then
    for _, c in ipairs(route.canaries) do
      if c.cookie then pick = by_cookie_rule(c, main) end
      if pick then break end
    end
  end
  pick = pick or by_affinity(route)
  local strict
  if not pick then
    local x, acc = random(), 0
    for _, c in ipairs(route.canaries) do
      acc = acc + c.share
      if x < acc then
        if c.unresolved then return nil, ngx.HTTP_INTERNAL_SERVER_ERROR end
        pick, strict = c.backend, c.strict
        break
      end
    end
  end
  if pick and pick ~= main then
    local b = lookup(pick)
    if b and b.endpoints and #b.endpoints > 0 then
      -- The access log's $proxy_alternative_upstream_name and the
      -- metrics' canary label.
      var.archway_canary = pick
      return b
    end
    if strict then return nil, ngx.HTTP_SERVICE_UNAVAILABLE end
  end
  return lookup(main)
end

-- request_headers returns the request's headers by lowered name, a
-- header sent more than once as its values joined by ", " (RFC 9110).
local function request_headers()
  local out = {}
  for name, v in pairs(ngx.req.get_headers(0)) do
    out[name] = type(v) == "table" and table.concat(v, ", ") or v
  end
  return out
end

-- query_args returns the request's query parameters, percent-decoded, by
-- name: the first value of a repeated one, true for one without "=".
local function query_args()
  local out = {}
  for name, v in pairs(ngx.req.get_uri_args(0)) do
    if type(v) == "table" then v = v[1] end
    out[name] = v
  end
  return out
end

-- holds reports whether every condition of list equals its value in
-- values, which get() makes once per request.
local function holds(list, values, get)
  if #list == 0 then return true, values end
  values = values or get()
  for _, c in ipairs(list) do
    if values[c.name] ~= c.value then return false, values end
  end
  return true, values
end

-- first_candidate returns the first candidate whose conditions the
-- request meets, or nil.
local function first_candidate(candidates)
  local method, headers, args = ngx.req.get_method(), nil, nil
  for _, c in ipairs(candidates) do
    local ok = c.method == nil or c.method == method
    if ok then ok, headers = holds(c.headers, headers, request_headers) end
    if ok then ok, args = holds(c.query, args, query_args) end
    if ok then return c end
  end
end

function M.init_worker()
  math.randomseed(ngx.now() * 1000 + ngx.worker.pid())
end

function M.rewrite()
  local name = var.archway_backend
  if not name or name == "" then return end
  local b = lookup(name)
  if b and b.candidates then
    local c = first_candidate(b.candidates)
    if not c then return ngx.exit(ngx.HTTP_NOT_FOUND) end
    if not c.route then return ngx.exit(ngx.HTTP_INTERNAL_SERVER_ERROR) end
    b = c.route
  end
  if b and b.main then
    -- The access log's $proxy_upstream_name: the main backend, as in
    -- ingress-nginx, whichever backend serves.
    var.archway_main_backend = b.main
    local status
    b, status = choose(b)
    if status then return ngx.exit(status) end
  end
  if not b or not b.endpoints or #b.endpoints == 0 then return ngx.exit(ngx.HTTP_SERVICE_UNAVAILABLE) end
  local state = { backend = b, tried = {}, attempts = {} }
  ngx.ctx.archway = state
  local c = b.cookie
  if c then
    -- The cookie names an endpoint by a hash of its address; a client
    -- without a cookie naming a current endpoint gets a new one.
    local ep = by_cookie(b)[var["cookie_" .. c.name] or ""]
    if not ep then
      ep = pick(b, state.tried)
      set_cookie(c, ep)
    end
    state.preferred = ep
  end
end

function M.balance()
  local state = ngx.ctx.archway
  if not state then
    ngx.log(ngx.ERR, "archway: no backend chosen for this request")
    return ngx.exit(ngx.ERROR)
  end
  local b, n = state.backend, #state.attempts
  if n == 0 then
    local tries = min(#b.endpoints, MAX_TRIES)
    if tries > 1 then ngx_balancer.set_more_tries(tries - 1) end
  else
    -- nginx logs the failure itself; EWMA steers away from the endpoint.
    local failure = ngx_balancer.get_last_failure()
    local s = state.attempts[n].stats
    if failure == "failed" then
      local now = ngx.now()
      s.ewma, s.at = s.ewma * exp(-(now - s.at) / DECAY) + FAILURE_PENALTY, now
    end
  end
  local ep = state.preferred or pick(b, state.tried)
  state.preferred = nil
  if not ep then return ngx.exit(ngx.ERROR) end
  state.tried[ep] = true
  state.attempts[n + 1] = ep
  ep.stats.inflight = ep.stats.inflight + 1
  local ok, err = ngx_balancer.set_current_peer(ep.host, ep.port)
  if not ok then
    ngx.log(ngx.ERR, "archway: set peer ", ep.key, ": ", err)
    return ngx.exit(ngx.ERROR)
  end
end

function M.log()
  local state = ngx.ctx.archway
  if not state then return end
  for _, ep in ipairs(state.attempts) do ep.stats.inflight = ep.stats.inflight - 1 end
  local last = state.attempts[#state.attempts]
  if not last or state.backend.algorithm ~= "ewma" then return end
  -- $upstream_response_time lists one time per attempt; the last is ours.
  local took = tonumber(match(var.upstream_response_time or "", "([%d.]+)$"))
  if not took then return end
  local s, now = last.stats, ngx.now()
  local w = exp(-(now - s.at) / DECAY)
  s.ewma, s.at = s.ewma * w + took * (1 - w), now
end

return M
