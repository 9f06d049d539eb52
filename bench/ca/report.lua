-- Shared by the wrk scripts: one machine-readable line at the end of a run.
-- RESULT requests=<completed> bad=<non-2xx/3xx + socket errors> seconds=<run> p50_ms= p99_ms=
--        taken=<the most requests one thread made>
local M = {}

M.threads = {}
function M.setup(thread)
   thread:set("tid", #M.threads)
   M.threads[#M.threads + 1] = thread
end

function M.done(summary, latency)
   local e = summary.errors
   local bad = e.status + e.connect + e.read + e.write + e.timeout
   local taken = 0
   for _, t in ipairs(M.threads) do
      taken = math.max(taken, t:get("taken") or 0)
   end
   io.write(string.format(
      "RESULT requests=%d bad=%d status=%d seconds=%.3f p50_ms=%.2f p99_ms=%.2f taken=%d\n",
      summary.requests, bad, e.status, summary.duration / 1e6,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, taken))
end

return M
