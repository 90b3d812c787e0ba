-- One action with a fixed payload through the gateway (a query, or a command with a fresh key per request).
-- wrk ... -s action.lua URL -- <token> <action> <payload json> <keyed: 0|1> <threads>
local token, body, keyed, run
local n = 0

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  token = args[1]
  body = '{"action":"' .. args[2] .. '","payload":' .. args[3] .. '}'
  keyed = args[4] == "1"
  run = tostring(os.time())  -- keys stay fresh across runs against one stack
end

function request()
  n = n + 1
  local headers = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}
  if keyed then headers["Idempotency-Key"] = run .. "-" .. tid .. "-" .. n end
  return wrk.format("POST", "/api/admin/action", headers, body)
end
