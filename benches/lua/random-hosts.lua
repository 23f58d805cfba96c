-- wrk script: each request to the home page of one of the first $HOSTS seeded tenants
-- (gemeinde-1 ... gemeinde-N), picked at random: most are cold at first.
local hosts = tonumber(os.getenv("HOSTS") or "2000")
local seed = tonumber(os.getenv("SEED") or "42")
math.randomseed(seed)

request = function()
  local host = "gemeinde-" .. math.random(1, hosts) .. ".localhost"
  return wrk.format("GET", "/", { ["Host"] = host, ["Accept-Encoding"] = "br, gzip" })
end
