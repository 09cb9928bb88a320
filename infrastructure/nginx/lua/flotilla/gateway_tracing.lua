-- The gateway's span of each proxied request, exported to an OTLP/HTTP endpoint (Jaeger) as JSON.
--
-- The native gateway is Debian's nginx, which has no OpenTelemetry module; its Lua module
-- (libnginx-mod-http-lua) runs this file instead:
--   access phase  start(): the W3C trace context the caller sent is continued (a malformed one is
--                 ignored), or a trace begins here, sampled at the configured ratio; the request goes
--                 upstream with a `traceparent` naming the gateway's span as parent, so the api's
--                 server span is its child and the sampling decision is the gateway's;
--   log phase     finish(): the span (method, path, status, upstream, times) joins this worker's
--                 batch, unless it was not sampled. A request refused before the access phase (rate
--                 limit, body limit, no route) begins and ends its span here;
--   export        a timer posts what is queued to <endpoint>/v1/traces (lua-resty-http) as soon as
--                 BATCH spans wait, else every second, and once more when the worker exits. Each span is written
--                 as its JSON text in the log phase (only the strings go through cjson), so a flush
--                 is a concatenation, not the encoding of thousands of tables.
-- Spans are kept per worker by request id until the log phase, so a request answered by an
-- error_page (an internal redirect, which clears ngx.ctx) still ends its span. A batch that cannot be
-- sent is dropped with a warning in the error log, and at most MAX_QUEUED spans wait: tracing never
-- holds up or grows the gateway.

local cjson = require "cjson.safe"
local http = require "resty.http"

local _M = {}

local MAX_QUEUED = 8192
local BATCH = 512
local FLUSH_SECONDS = 1

local encode = cjson.encode
local settings -- { endpoint, ratio, instance, resource }, set in the master by configure()
local pending = {} -- request id -> span, from the access phase to the log phase
local queue = {} -- JSON texts of ended spans
local dropped = 0
local flushing = false -- a flush is sending
local scheduled = false -- a flush timer is set for a full batch

-- A resource attribute (all strings), as a table cjson encodes once per worker.
local function attribute(key, value)
  return { key = key, value = { stringValue = value } }
end

-- `traceparent: 00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`; all-zero ids are invalid.
local function parse_traceparent(header)
  if type(header) ~= "string" then return nil end
  local version, trace_id, parent_id, flags =
    header:match("^(%x%x)%-(%x+)%-(%x+)%-(%x%x)$")
  if not version or version == "ff" or #trace_id ~= 32 or #parent_id ~= 16 then return nil end
  trace_id, parent_id = trace_id:lower(), parent_id:lower()
  if trace_id == string.rep("0", 32) or parent_id == string.rep("0", 16) then return nil end
  return { trace_id = trace_id, parent_id = parent_id, sampled = tonumber(flags, 16) % 2 == 1 }
end

-- The ratio decision on the trace id's last 8 hex digits, as OpenTelemetry's TraceIdRatioBased does
-- on its last bytes: the same trace id always gets the same answer.
local function sampled_at_ratio(trace_id)
  local ratio = settings.ratio
  if ratio >= 1 then return true end
  if ratio <= 0 then return false end
  return tonumber(trace_id:sub(25, 32), 16) < ratio * 4294967296
end

local function export(batch)
  local body = '{"resourceSpans":[{"resource":{"attributes":' .. settings.resource_json
    .. '},"scopeSpans":[{"scope":{"name":"flotilla-gateway"},"spans":[' .. table.concat(batch, ",")
    .. "]}]}]}"
  local client = http.new()
  client:set_timeout(5000)
  local response, err = client:request_uri(settings.endpoint, {
    method = "POST",
    body = body,
    headers = { ["Content-Type"] = "application/json" },
  })
  if not response then return nil, err end
  if response.status >= 300 then return nil, "HTTP " .. response.status end
  return true
end

-- Sends what is queued, one POST at a time per worker (spans that end meanwhile go in the next one).
-- Runs every FLUSH_SECONDS, as soon as BATCH spans wait, and once more (premature) when the worker exits.
local function flush()
  scheduled = false
  if flushing then return end
  flushing = true
  if dropped > 0 then
    ngx.log(ngx.WARN, "gateway tracing: ", dropped, " spans dropped (more than ", MAX_QUEUED, " waiting)")
    dropped = 0
  end
  while #queue > 0 do
    local batch = queue
    queue = {}
    local sent, ok, err = pcall(export, batch)
    if not sent or not ok then
      ngx.log(ngx.WARN, "gateway tracing: ", #batch, " spans not exported to ", settings.endpoint, ": ",
        sent and err or ok)
      break
    end
    if #queue < BATCH then break end
  end
  flushing = false
end

-- `ngx.config.nginx_version` is 1022001 for 1.22.1.
local function nginx_version()
  local v = ngx.config.nginx_version
  return string.format("nginx/%d.%d.%d", math.floor(v / 1000000), math.floor(v / 1000) % 1000, v % 1000)
end

--- Called from init_by_lua (the master, at start): `endpoint` is the OTLP/HTTP base URL, `ratio` the
--- share of traces beginning here that are sampled (0-1), `service` and `instance` name the resource.
function _M.configure(options)
  settings = {
    endpoint = options.endpoint:gsub("/+$", "") .. "/v1/traces",
    ratio = tonumber(options.ratio) or 1,
    instance = options.instance or "gateway",
    resource = {
      attribute("service.name", options.service or "gateway"),
      attribute("service.namespace", "flotilla"),
      attribute("service.version", nginx_version()),
      attribute("deployment.environment.name", options.environment or "development"),
      attribute("telemetry.sdk.name", "flotilla-gateway-lua"),
    },
  }
end

--- Called from init_worker_by_lua: names the worker in the resource and starts the flush timer.
function _M.init_worker()
  if not settings then return end
  settings.resource[#settings.resource + 1] =
    attribute("service.instance.id", settings.instance .. ":" .. ngx.worker.pid())
  settings.resource_json = encode(settings.resource)
  local ok, err = ngx.timer.every(FLUSH_SECONDS, flush)
  if not ok then ngx.log(ngx.ERR, "gateway tracing: no flush timer: ", err) end
end

-- The gateway's routes, as span names: `POST /api/*` (the api names the exact route in its child span);
-- a path no route serves is `/*` (the catch-all that answers 404), so span names stay few.
local function route_of(path)
  if path:sub(1, 13) == "/api/v1/auth/" then return "/api/v1/auth/*" end
  if path:sub(1, 5) == "/api/" then return "/api/*" end
  if path == "/telegram/webhook" or path == "/health" then return path end
  if path == "/docs" or path:sub(1, 6) == "/docs/" then return "/docs/*" end
  return "/*"
end

-- The span of this request: the caller's trace continued, or one begun here (its id the request id).
-- $request_id is 32 random hex digits, fresh for each request: its first half is the span id. What
-- only an exported span needs is read only when the trace is sampled.
local function begin(request_id)
  local parent = parse_traceparent(ngx.var.http_traceparent)
  local trace_id = parent and parent.trace_id or request_id
  local sampled
  if parent then sampled = parent.sampled else sampled = sampled_at_ratio(trace_id) end
  local span = { sampled = sampled, trace_id = trace_id, span_id = request_id:sub(1, 16) }
  if sampled then
    local path = ngx.var.uri
    span.parent_id = parent and parent.parent_id or nil
    span.method = ngx.req.get_method()
    span.path = path
    span.route = route_of(path)
  end
  return span
end

--- Access phase: continues or begins the trace and sends the gateway's span id upstream.
function _M.start()
  if not settings then return end
  local request_id = ngx.var.request_id
  if pending[request_id] then return end -- an internal redirect back into the access phase
  local span = begin(request_id)
  ngx.req.set_header("traceparent",
    "00-" .. span.trace_id .. "-" .. span.span_id .. (span.sampled and "-01" or "-00"))
  if span.sampled then pending[request_id] = span end
end

local function string_attribute(key, value)
  return '{"key":"' .. key .. '","value":{"stringValue":' .. encode(tostring(value)) .. "}}"
end

--- Log phase: ends the span and queues its JSON text for export. A request the gateway answered
--- before the access phase (a 429 from the rate limit, a 413 from the body limit, a 404 for a path no
--- route serves) gets its span here; the gateway's own health check gets none.
function _M.finish()
  if not settings then return end
  local request_id = ngx.var.request_id
  local span = pending[request_id]
  if span then
    pending[request_id] = nil
  elseif ngx.var.uri ~= "/health" then
    -- Not begun in the access phase, or not sampled there: the decision, made again on the same
    -- traceparent and request id, is the same.
    span = begin(request_id)
    if not span.sampled then return end
  else
    return
  end
  if #queue >= MAX_QUEUED then
    dropped = dropped + 1
    return
  end
  local status = tonumber(ngx.var.status) or 0
  local started_ms = math.floor(ngx.req.start_time() * 1000)
  local took_ms = math.floor((tonumber(ngx.var.request_time) or 0) * 1000)
  local attributes = {
    string_attribute("http.request.method", span.method),
    string_attribute("url.path", span.path),
    string_attribute("http.route", span.route),
    string_attribute("url.scheme", ngx.var.scheme),
    string_attribute("client.address", ngx.var.remote_addr),
    '{"key":"http.response.status_code","value":{"intValue":' .. status .. "}}",
    string_attribute("http.request.header.x-request-id", ngx.var.flotilla_request_id or request_id),
  }
  local upstream = ngx.var.upstream_addr
  if upstream and upstream ~= "" then
    attributes[#attributes + 1] = string_attribute("network.peer.address", upstream)
    attributes[#attributes + 1] = string_attribute("gateway.upstream.status", ngx.var.upstream_status or "")
  end
  -- Ids are checked hex (parse_traceparent, $request_id): they need no escaping.
  queue[#queue + 1] = table.concat({
    '{"traceId":"', span.trace_id, '","spanId":"', span.span_id, '"',
    span.parent_id and (',"parentSpanId":"' .. span.parent_id .. '"') or "",
    ',"name":', encode(span.method .. " " .. span.route),
    ',"kind":2', -- SPAN_KIND_SERVER
    ',"startTimeUnixNano":"', string.format("%d000000", started_ms),
    '","endTimeUnixNano":"', string.format("%d000000", started_ms + took_ms),
    '","attributes":[', table.concat(attributes, ","), "]",
    ',"status":', status >= 500 and ('{"code":2,"message":"HTTP ' .. status .. '"}') or '{"code":0}',
    "}",
  })
  if #queue >= BATCH and not flushing and not scheduled then
    scheduled = ngx.timer.at(0, flush) and true or false
  end
end

return _M
