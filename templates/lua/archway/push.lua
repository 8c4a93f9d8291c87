-- archway.push: the content handler of the endpoints socket. archway POSTs
-- the whole set of backends as one JSON object, name -> backend:
--
--   {"default_web_http": {"endpoints": ["10.0.0.1:8080", "[fd00::1]:8080"],
--     "algorithm": "ewma", "hash_by": "request_uri",
--     "cookie": {"name": "route", "path": "/", "max_age": 3600,
--                "same_site": "Lax", "secure": true}}}
--
-- Members with "main" are canary routes (archway.balancer.parse_route);
-- members named "tls-cert:..." and "tls-host:..." are hosts' certificates
-- (archway.certificates), stored in their own dict.
--
-- Everything is validated before anything is stored, so a bad payload
-- changes nothing. Each backend's entry is replaced in one dict operation,
-- so no request sees half a backend. Backends missing from the payload are
-- deleted, unless the request says ?merge=1: archway merges before a reload
-- so that old and new workers both find their backends, and merges only
-- the backends that changed otherwise. A backend whose value is null is
-- deleted. With ?check=1 nothing is stored: the answer only says whether
-- the payload is valid (400 and why, when it is not).
--
-- Every answer to a POST, and a GET, carry the generation of what the
-- dicts hold in the Archway-Generation header: the same one after a reload
-- tells archway that the reload kept both dicts (nginx makes a dict anew
-- when its size changed), so it need not push everything again.
local json = require "archway.json"
local balancer = require "archway.balancer"
local certificates = require "archway.certificates"

local ngx = ngx
local find, sub = string.find, string.sub

local M = {}

local backends, certs = ngx.shared.archway_backends, ngx.shared.archway_certificates

-- Each kind of member: its dict, its dict key, the string it stores
-- (cheap: compared with the stored one) and the check of a changed one
-- (raises why it is invalid). Certificates are stored before the hosts
-- that name them (first).
local backend_kind = {
  dict = backends,
  key = function(name) return balancer.PREFIX .. name end,
  store = function(_, raw) return raw end,
  check = function(value) balancer.decode(value) end,
}
local cert_kind = {
  dict = certs,
  first = true,
  key = function(name) return name end,
  store = function(value) return certificates.decode_base64(value) end,
  check = function(_, pem) certificates.check(pem) end,
}
local host_kind = {
  dict = certs,
  key = function(name) return name end,
  store = function(value)
    if type(value) ~= "string" or not find(value, "^[0-9a-f]*$") then error("not a certificate id", 0) end
    return value
  end,
  check = function() end,
}

-- kind_of returns the kind of the member name, or raises why it is none.
local function kind_of(name)
  if sub(name, 1, #certificates.CERT) == certificates.CERT then
    if not find(name, "^[0-9a-f]+$", #certificates.CERT + 1) then error("invalid certificate name " .. name, 0) end
    return cert_kind
  end
  if sub(name, 1, #certificates.HOST) == certificates.HOST then
    if not certificates.valid_host(sub(name, #certificates.HOST + 1)) then error("invalid host name " .. name, 0) end
    return host_kind
  end
  if not find(name, "^[a-z0-9_.-]+$") then error("invalid backend name " .. name, 0) end
  return backend_kind
end

-- The certificates dict's copy of the backends' generation.
local CERTS_GENERATION = "generation"

-- generation names what both dicts hold: a dict made anew lacks its part.
local function generation()
  return (backends:get(balancer.GENERATION) or "-") .. "/" .. (certs:get(CERTS_GENERATION) or "-")
end

local function reply(status, text)
  ngx.status = status
  ngx.header["Archway-Generation"] = generation()
  ngx.header["Content-Type"] = "text/plain"
  ngx.say(text)
  return ngx.exit(ngx.HTTP_OK)
end

-- store sets every changed entry of one pass; it returns the number of
-- writes, or nil and why.
local function store(changed)
  local writes = 0
  for _, c in ipairs(changed) do
    -- safe_set fails rather than evicting other entries when full.
    local stored, why = c.kind.dict:safe_set(c.key, c.value)
    if not stored then return nil, "store " .. c.key .. ": " .. why end
    writes = writes + 1
  end
  return writes
end

-- prune deletes dict's entries whose key starts with prefix and is not in
-- names; it returns the number of deletes.
local function prune(dict, prefix, names)
  local writes = 0
  for _, key in ipairs(dict:get_keys(0)) do
    if sub(key, 1, #prefix) == prefix and not names[key] then
      dict:delete(key)
      writes = writes + 1
    end
  end
  return writes
end

function M.handle()
  local method = ngx.req.get_method()
  if method == "GET" then return reply(ngx.HTTP_OK, "generation " .. generation()) end
  if method ~= "POST" then return reply(ngx.HTTP_NOT_ALLOWED, "POST the endpoints") end
  ngx.req.read_body()
  local body = ngx.req.get_body_data()
  if not body then return reply(ngx.HTTP_BAD_REQUEST, "no body, or one larger than client_body_buffer_size") end
  -- Only entries that differ from the stored ones need checking: those
  -- were checked when they were stored.
  local names, first, changed, deleted, count = {}, {}, {}, {}, 0
  local ok, err = pcall(json.decode, body, function(name, value, raw)
    local kind = kind_of(name)
    local key = kind.key(name)
    count = count + 1
    if value == nil then
      deleted[#deleted + 1] = { kind = kind, key = key }
      return
    end
    names[key] = true
    local stored = kind.store(value, raw)
    if kind.dict:get(key) ~= stored then
      local valid, why = pcall(kind.check, value, stored)
      if not valid then error(name .. ": " .. why, 0) end
      local list = kind.first and first or changed
      list[#list + 1] = { kind = kind, key = key, value = stored }
    end
  end)
  if not ok then return reply(ngx.HTTP_BAD_REQUEST, err) end
  if ngx.var.arg_check == "1" then return reply(ngx.HTTP_OK, ("%d members valid"):format(count)) end

  local writes, why = store(first)
  if not writes then return reply(ngx.HTTP_INTERNAL_SERVER_ERROR, why) end
  local more
  more, why = store(changed)
  if not more then return reply(ngx.HTTP_INTERNAL_SERVER_ERROR, why) end
  writes = writes + more
  for _, d in ipairs(deleted) do
    if d.kind.dict:get(d.key) ~= nil then
      d.kind.dict:delete(d.key)
      writes = writes + 1
    end
  end
  if ngx.var.arg_merge ~= "1" then
    writes = writes + prune(backends, balancer.PREFIX, names)
    writes = writes + prune(certs, certificates.HOST, names) + prune(certs, certificates.CERT, names)
  end
  if writes > 0 then
    -- Workers look at the generation first: bump it only once every entry
    -- is in place.
    local gen, why = backends:incr(balancer.GENERATION, 1, 0)
    if why then return reply(ngx.HTTP_INTERNAL_SERVER_ERROR, "bump generation: " .. why) end
    local stored
    stored, why = certs:safe_set(CERTS_GENERATION, gen)
    if not stored then return reply(ngx.HTTP_INTERNAL_SERVER_ERROR, "copy generation: " .. why) end
  end
  return reply(ngx.HTTP_OK, ("%d members, %d entries changed"):format(count, writes))
end

return M
