-- wrk script: every request a search query the server has not seen before (so none is served from
-- memory): real service words in a case pattern taken from a counter (the query is kept as typed,
-- the search itself ignores case), so each query still finds its services.
local words = { "Personalausweis", "Meldebescheinigung", "Gewerbeanmeldung", "Geburtsurkunde" }
local counter = 0
local host = os.getenv("BENCH_HOST") or "kaiserslautern.localhost"

request = function()
  counter = counter + 1
  local w = words[(counter % #words) + 1]
  local n = math.floor(counter / #words)
  local q = {}
  for i = 1, #w do
    local c = w:sub(i, i)
    if math.floor(n / 2 ^ (i - 1)) % 2 == 1 then c = c:upper() else c = c:lower() end
    q[#q + 1] = c
  end
  local query = table.concat(q)
  -- past the case patterns of the shortest word, a number makes it new (and finds nothing)
  if n >= 2 ^ 14 then query = query .. "+" .. n end
  return wrk.format("GET", "/suche?q=" .. query, { ["Host"] = host, ["Accept-Encoding"] = "br, gzip" })
end
