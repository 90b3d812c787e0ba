-- Shared by the scripts: each wrk thread takes every n-th id of the file, so no id is used twice.
-- Arguments (after --): <ids file> ... <threads>; the driver appends the thread count last.
local M = {}
local threads = {}

function M.setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function M.load(args)
  local ids = {}
  for line in io.lines(args[1]) do
    if #line > 0 then ids[#ids + 1] = line end
  end
  return ids, tonumber(args[#args])
end

return M
