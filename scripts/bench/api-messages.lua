-- wrk script: POST a message to one of the prepared conversations on every request.
-- Environment: TANDEM_AUTH (Basic header value), TANDEM_CONVERSATIONS (comma-separated SIDs).
local auth = os.getenv("TANDEM_AUTH")
local conversations = {}
for sid in string.gmatch(os.getenv("TANDEM_CONVERSATIONS") or "", "[^,]+") do
  table.insert(conversations, sid)
end

local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
  table.insert(threads, thread)
end

function init(args)
  status_counts = {}
end

request = function()
  counter = counter + 1
  local sid = conversations[(counter + id * 7) % #conversations + 1]
  local body = "Author=agent&Body=benchmark+message+" .. counter .. "+from+thread+" .. id
  return wrk.format("POST", "/v1/Conversations/" .. sid .. "/Messages", {
    ["Authorization"] = auth,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, body)
end

response = function(status, headers, body)
  status_counts[status] = (status_counts[status] or 0) + 1
end

done = function(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("status_counts")
    for status, n in pairs(counts) do totals[status] = (totals[status] or 0) + n end
  end
  for status, n in pairs(totals) do
    io.write(string.format("status %d: %d\n", status, n))
  end
  local created = totals[201] or 0
  io.write(string.format("latency p50 %.2f ms, p99 %.2f ms\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
  io.write(string.format("created: %d in %.2f s\n", created, summary.duration / 1e6))
  io.write(string.format("API message creates/s: %d\n", math.floor(created / (summary.duration / 1e6))))
end
