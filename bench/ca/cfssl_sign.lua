-- wrk: `cfssl serve` signing, cycling over CSRs (CABENCH_CFSSL_BODIES: one JSON body
-- `{"certificate_request": "<PEM>"}` per line). cfssl keeps no rule against a key signed
-- twice, so a few thousand distinct CSRs are enough.
package.path = (os.getenv("CABENCH_LUA") or ".") .. "/?.lua;" .. package.path
local report = require("report")

setup = report.setup

local items, idx = {}, 0

function init(args)
   for line in io.lines(os.getenv("CABENCH_CFSSL_BODIES")) do
      items[#items + 1] = wrk.format("POST", "/api/v1/cfssl/sign",
         { ["Content-Type"] = "application/json" }, line)
   end
   idx = tid * 101
end

function request()
   idx = idx % #items + 1
   return items[idx]
end

done = report.done
