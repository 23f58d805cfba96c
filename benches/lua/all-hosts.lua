-- wrk script: visits the home pages of gemeinde-1 ... gemeinde-$HOSTS in turn (each thread its own
-- share), so that every seeded tenant's content has been loaded once.
local hosts = tonumber(os.getenv("HOSTS") or "11000")
local counter = 0

request = function()
  counter = counter + 1
  local host = "gemeinde-" .. ((counter - 1) % hosts + 1) .. ".localhost"
  return wrk.format("GET", "/", { ["Host"] = host, ["Accept-Encoding"] = "br, gzip" })
end

local answered = 0
response = function(status, headers, body)
  answered = answered + 1
  if answered >= hosts then wrk.thread:stop() end
end
