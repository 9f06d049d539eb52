-- wrk: certdesk issuance through the production API, one approved order per request.
-- CABENCH_BODIES names the file of `<application id>\t<JSON body>` lines, CABENCH_TOKEN the
-- operator's bearer token. Arguments: the first line to use (0-based), the number of wrk
-- threads, the most lines one thread takes. Thread k takes lines offset+k, offset+k+T, ...
-- so no order is produced twice; when a thread runs out it asks for an order that does not
-- exist, which wrk counts as a bad answer.
package.path = (os.getenv("CABENCH_LUA") or ".") .. "/?.lua;" .. package.path
local report = require("report")

setup = report.setup

local items = {}
taken = 0
local headers = {
   ["Content-Type"] = "application/json",
   ["Authorization"] = "Bearer " .. (os.getenv("CABENCH_TOKEN") or ""),
}

function init(args)
   local offset, threads, most = tonumber(args[1]), tonumber(args[2]), tonumber(args[3])
   local n = 0
   for line in io.lines(os.getenv("CABENCH_BODIES")) do
      if n >= offset and (n - offset) % threads == tid then
         local id, body = line:match("^([^\t]+)\t(.*)$")
         items[#items + 1] = wrk.format("POST", "/api/v1/applications/" .. id .. "/production",
            headers, body)
         if #items >= most then break end
      end
      n = n + 1
   end
   exhausted = wrk.format("POST", "/api/v1/applications/00000000-0000-0000-0000-000000000000/production",
      headers, "{}")
end

function request()
   taken = taken + 1
   return items[taken] or exhausted
end

done = report.done
