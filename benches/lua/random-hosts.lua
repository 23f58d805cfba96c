-- wrk script: each request to the home page of one of $HOSTS seeded tenants (gemeinde-$FIRST ...),
-- picked at random: most are cold at first. With HOSTS=1 it is one hot tenant, asked the same way
-- (the script's own cost is then in both figures).
local hosts = tonumber(os.getenv("HOSTS") or "2000")
local first = tonumber(os.getenv("FIRST") or "1")
math.randomseed(tonumber(os.getenv("SEED") or "42"))

request = function()
  local host = "gemeinde-" .. (first + math.random(0, hosts - 1)) .. ".localhost"
  return wrk.format("GET", "/", { ["Host"] = host, ["Accept-Encoding"] = "br, gzip" })
end
