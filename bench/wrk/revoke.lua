-- Celery Flower's revoke of a pending task, a different task per request.
-- wrk ... -s revoke.lua URL -- <ids file> <threads>
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua"
local ids_mod = require("ids")
setup = ids_mod.setup
local ids, nthreads
local n = 0

function init(args)
  ids, nthreads = ids_mod.load(args)
end

function request()
  local id = ids[n * nthreads + tid] or "exhausted"
  n = n + 1
  return wrk.format("POST", "/api/task/revoke/" .. id, {["Content-Type"] = "application/x-www-form-urlencoded"}, "")
end
