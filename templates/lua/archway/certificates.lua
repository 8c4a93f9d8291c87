-- archway.certificates: the certificates of hosts, chosen per TLS handshake
-- by SNI. archway pushes them with the endpoints
-- (archway.push), as members of the same payload:
--
--   "tls-cert:<id>": "<base64 of the PEM chain and key>"
--   "tls-host:<name>": "<id>"  -- "" for a host that has the default one
--
-- <id> is a hash of the PEM, so a renewed certificate is a new id: a
-- handshake after the push serves it, with no reload. A host is an exact
-- name, "*.suffix", which stands for exactly one more label, "**.suffix",
-- for one or more (a Gateway API wildcard), or "*": the names no server
-- has (the catch-all server's). A handshake takes the exact name, then
-- the wildcard of one label, then those of any depth, longest suffix
-- first, then "*", as nginx picks the server; without any (or without
-- SNI) the server's own certificate stays: the default one.
local ssl = require "ngx.ssl"
local clienthello = require "ngx.ssl.clienthello"
local lrucache = require "resty.lrucache"

local ngx = ngx
local find, sub, lower = string.find, string.sub, string.lower

local M = {}

M.CERT = "tls-cert:" -- payload member and dict key prefix of certificates
M.HOST = "tls-host:" -- the same of hosts

local dict = ngx.shared.archway_certificates

-- parse returns the parsed chain and key of pem, or nil and why.
local function parse(pem)
  local chain, err = ssl.parse_pem_cert(pem)
  if not chain then return nil, nil, "certificate: " .. (err or "unreadable") end
  local key
  key, err = ssl.parse_pem_priv_key(pem)
  if not key then return nil, nil, "key: " .. (err or "unreadable") end
  return chain, key
end

-- decode_base64 returns the PEM of a certificate member's value, or raises
-- why it is not one.
function M.decode_base64(value)
  local pem = type(value) == "string" and ngx.decode_base64(value)
  if not pem then error("not a base64 string", 0) end
  return pem
end

-- check raises why pem is not a certificate chain and key, if it is not.
function M.check(pem)
  local _, _, err = parse(pem)
  if err then error(err, 0) end
end

-- valid_host tells whether name may be a host member's name.
function M.valid_host(name)
  return find(name, "^[a-z0-9.-]+$") ~= nil or find(name, "^%*%*?%.[a-z0-9.-]+$") ~= nil or name == "*"
end

-- Parsed certificates of this worker by id: ids never change meaning, so
-- entries never go stale, and ids no longer pushed age out.
local parsed = lrucache.new(1000)

-- lookup returns the id that the certificate of server name sni has, nil
-- for the default.
local function lookup(sni)
  local id = dict:get(M.HOST .. sni)
  local dot = find(sni, ".", 1, true)
  if id == nil and dot then id = dict:get(M.HOST .. "*" .. sub(sni, dot)) end
  while id == nil and dot do
    id = dict:get(M.HOST .. "**" .. sub(sni, dot))
    dot = find(sni, ".", dot + 1, true)
  end
  if id == nil then id = dict:get(M.HOST .. "*") end
  if id == "" then return nil end
  return id
end

-- serve gives the handshake the certificate of server name sni.
local function serve(sni)
  if not sni then return end
  local id = lookup(lower(sni))
  if not id then return end
  local entry = parsed:get(id)
  if not entry then
    local pem = dict:get(M.CERT .. id)
    if not pem then
      ngx.log(ngx.ERR, "certificate ", id, " of ", sni, " is missing; serving the default one")
      return
    end
    local chain, key, err = parse(pem)
    if err then
      ngx.log(ngx.ERR, "certificate ", id, " of ", sni, ": ", err, "; serving the default one")
      return
    end
    entry = { chain, key }
    parsed:set(id, entry)
  end
  local ok, err = ssl.clear_certs()
  if ok then ok, err = ssl.set_cert(entry[1]) end
  if ok then ok, err = ssl.set_priv_key(entry[2]) end
  if not ok then
    ngx.log(ngx.ERR, "set certificate of ", sni, ": ", err)
    return ngx.exit(ngx.ERROR)
  end
end

-- hello serves the certificate from the ClientHello, for the catch-all
-- server (ssl_client_hello_by_lua): before nginx picks the server by SNI,
-- so that servers without a TLS context of their own (all but those with
-- client certificates) need no ssl_certificate_by_lua, which nginx allows
-- only in servers with a context.
function M.hello()
  return serve(clienthello.get_client_hello_server_name())
end

-- certificate serves it again in servers with a context of their own
-- (ssl_certificate_by_lua): nginx's switch to their context replaced it.
function M.certificate()
  return serve(ssl.server_name())
end

return M
