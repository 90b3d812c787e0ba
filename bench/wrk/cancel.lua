-- job.cancel through the gateway, a different pending job per request, a fresh Idempotency-Key each.
-- wrk ... -s cancel.lua URL -- <ids file> <token> <threads>
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua"
local ids_mod = require("ids")
setup = ids_mod.setup
local ids, nthreads, token
local n = 0

function init(args)
  ids, nthreads = ids_mod.load(args)
  token = args[2]
end

function request()
  local id = ids[n * nthreads + tid] or "job_exhausted"
  n = n + 1
  local body = '{"action":"job.cancel","payload":{"job_id":"' .. id .. '"}}'
  return wrk.format("POST", "/api/admin/action", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = id .. "-cancel",
  }, body)
end
