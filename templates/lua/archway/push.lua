-- archway.push: the content handler of the endpoints socket. archway POSTs
-- the whole set of backends as one JSON object, name -> backend:
--
--   {"default_web_http": {"endpoints": ["10.0.0.1:8080", "[fd00::1]:8080"],
--     "algorithm": "ewma", "hash_by": "request_uri",
--     "cookie": {"name": "route", "path": "/", "max_age": 3600,
--                "same_site": "Lax", "secure": true}}}
--
-- Members with "main" are canary routes (archway.balancer.parse_route).
--
-- Everything is validated before anything is stored, so a bad payload
-- changes nothing. Each backend's entry is replaced in one dict operation,
-- so no request sees half a backend. Backends missing from the payload are
-- deleted, unless the request says ?merge=1: archway merges before a reload
-- so that old and new workers both find their backends, and merges only
-- the backends that changed otherwise. A backend whose value is null is
-- deleted. With ?check=1 nothing is stored: the answer only says whether
-- the payload is valid (400 and why, when it is not).
local json = require "archway.json"
local balancer = require "archway.balancer"

local ngx = ngx
local find, sub = string.find, string.sub

local M = {}

local function reply(status, text)
  ngx.status = status
  ngx.header["Content-Type"] = "text/plain"
  ngx.say(text)
  return ngx.exit(ngx.HTTP_OK)
end

function M.handle()
  if ngx.req.get_method() ~= "POST" then return reply(ngx.HTTP_NOT_ALLOWED, "POST the endpoints") end
  ngx.req.read_body()
  local body = ngx.req.get_body_data()
  if not body then return reply(ngx.HTTP_BAD_REQUEST, "no body, or one larger than client_body_buffer_size") end
  local dict = ngx.shared.archway_backends
  -- Only entries that differ from the stored ones need checking: those
  -- were checked when they were stored.
  local names, changed, deleted, count, writes = {}, {}, {}, 0, 0
  local ok, err = pcall(json.decode, body, function(name, value, raw)
    if not find(name, "^[a-z0-9_.-]+$") then error("invalid backend name " .. name, 0) end
    local key = balancer.PREFIX .. name
    count = count + 1
    if value == nil then
      deleted[key] = true
      return
    end
    names[key] = true
    if dict:get(key) ~= raw then
      local valid, why = pcall(balancer.decode, value)
      if not valid then error("backend " .. name .. ": " .. why, 0) end
      changed[key] = raw
    end
  end)
  if not ok then return reply(ngx.HTTP_BAD_REQUEST, err) end
  if ngx.var.arg_check == "1" then return reply(ngx.HTTP_OK, ("%d backends valid"):format(count)) end

  for key, raw in pairs(changed) do
    -- safe_set fails rather than evicting other backends when full.
    local stored, why = dict:safe_set(key, raw)
    if not stored then return reply(ngx.HTTP_INTERNAL_SERVER_ERROR, "store " .. key .. ": " .. why) end
    writes = writes + 1
  end
  for key in pairs(deleted) do
    if dict:get(key) ~= nil then
      dict:delete(key)
      writes = writes + 1
    end
  end
  if ngx.var.arg_merge ~= "1" then
    for _, key in ipairs(dict:get_keys(0)) do
      if sub(key, 1, #balancer.PREFIX) == balancer.PREFIX and not names[key] then
        dict:delete(key)
        writes = writes + 1
      end
    end
  end
  if writes > 0 then
    -- Workers look at the generation first: bump it only once every entry
    -- is in place.
    local _, why = dict:incr(balancer.GENERATION, 1, 0)
    if why then return reply(ngx.HTTP_INTERNAL_SERVER_ERROR, "bump generation: " .. why) end
  end
  return reply(ngx.HTTP_OK, ("%d backends, %d entries changed"):format(count, writes))
end

return M
