-- archway.tracing: W3C trace context for the locations that trace
-- ($archway_trace is "on", or "trust" to continue a client's trace).
--
-- rewrite() gives the request a server span id, continues the trace of
-- a valid incoming traceparent when trusted (else starts one: the trace
-- id is $request_id, 16 random bytes), decides whether it is sampled,
-- sends the backend the new traceparent, and leaves trace id, span id,
-- parent span id and the sampled flag in $archway_trace_id,
-- $archway_span_id, $archway_parent_id and $archway_sampled, which the
-- per-request record carries to archway, whose exporter makes the span.
--
-- Sampling is the OpenTelemetry Go SDK's, decided once here: with
-- parent_based, a trusted parent's sampled flag; otherwise
-- TraceIDRatioBased: the last 8 bytes of the trace id, shifted right by
-- one, below the bound uint64(ratio * 2^63). LuaJIT's numbers are
-- doubles, so the 63-bit comparison is done in two exact parts: the high
-- 32 bits, then the low 31. $archway_trace_sampler (render's tracing.go)
-- holds the bound split so, and 1 when a trusted parent decides;
-- AlwaysOn is the bound 2^63, AlwaysOff 0.
local ngx, var = ngx, ngx.var
local sub, format, match = string.sub, string.format, string.match
local floor, random = math.floor, math.random

local M = {}

-- The sampler, parsed once per worker and config.
local sampler_text, bound_hi, bound_lo, parent_based

local function read_sampler()
  local text = var.archway_trace_sampler
  if text == sampler_text then return end
  local hi, lo, parent = match(text or "", "^(%d+) (%d+) ([01])$")
  bound_hi, bound_lo, parent_based = tonumber(hi) or 0, tonumber(lo) or 0, parent == "1"
  sampler_text = text
end

local ZERO_TRACE, ZERO_SPAN = string.rep("0", 32), string.rep("0", 16)

-- incoming returns the trace id, parent span id and sampled flag of a
-- valid traceparent of version 00, or nil.
local function incoming(header)
  if not header then return nil end
  local trace, parent, flags = match(header, "^00%-(%x+)%-(%x+)%-(%x%x)$")
  if not trace or #trace ~= 32 or #parent ~= 16 or trace == ZERO_TRACE or parent == ZERO_SPAN
    or match(trace .. parent .. flags, "%u") then
    return nil
  end
  return trace, parent, tonumber(flags, 16) % 2 == 1
end

-- by_ratio is the SDK's TraceIDRatioBased decision for trace.
local function by_ratio(trace)
  local hi = tonumber(sub(trace, 17, 24), 16)
  local lo = floor(tonumber(sub(trace, 25, 32), 16) / 2)
  return hi < bound_hi or (hi == bound_hi and lo < bound_lo)
end

function M.rewrite()
  local mode = var.archway_trace
  if mode ~= "on" and mode ~= "trust" then return end
  -- An internal redirect runs the rewrite phase again: one span per request.
  if var.archway_span_id ~= "" and var.archway_span_id ~= nil then return end
  local trace, parent, parent_sampled
  if mode == "trust" then trace, parent, parent_sampled = incoming(var.http_traceparent) end
  if not trace then
    trace = var.request_id
    ngx.req.clear_header("tracestate") -- it belongs to the trace not continued
  end
  read_sampler()
  local sampled
  if parent and parent_based then sampled = parent_sampled else sampled = by_ratio(trace) end
  local span = format("%08x%08x", random(0, 0xffffffff), random(1, 0xffffffff))
  var.archway_trace_id, var.archway_span_id = trace, span
  var.archway_parent_id, var.archway_sampled = parent or "", sampled and "1" or "0"
  ngx.req.set_header("traceparent", "00-" .. trace .. "-" .. span .. (sampled and "-01" or "-00"))
end

return M
