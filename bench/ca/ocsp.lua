-- wrk: OCSP requests, GET or POST, cycling over a fixed set (good, revoked, unknown).
-- CABENCH_OCSP names the file of `<GET path>\t<request DER as hex>` lines (the GET path is
-- complete: prefix and URL-encoded base64). Arguments: GET or POST, and the POST path.
package.path = (os.getenv("CABENCH_LUA") or ".") .. "/?.lua;" .. package.path
local report = require("report")

setup = report.setup

local items, idx = {}, 0

function init(args)
   local method, post_path = args[1], args[2]
   for line in io.lines(os.getenv("CABENCH_OCSP")) do
      local path, hex = line:match("^([^\t]+)\t(%x+)$")
      if method == "GET" then
         items[#items + 1] = wrk.format("GET", path)
      else
         local der = hex:gsub("%x%x", function(h) return string.char(tonumber(h, 16)) end)
         items[#items + 1] = wrk.format("POST", post_path,
            { ["Content-Type"] = "application/ocsp-request" }, der)
      end
   end
   idx = tid * 7
end

function request()
   idx = idx % #items + 1
   return items[idx]
end

done = report.done
