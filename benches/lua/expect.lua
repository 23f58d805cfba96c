-- wrk script of every benchmark (benches/expect.sh wrk_expect): counts the responses whose status
-- is not $EXPECT_STATUS (200) and ends wrk's output with one line that the scripts read:
--   expect: responses 123456 unexpected 3 statuses 303x2,500x1
-- A script that makes the requests (random hosts, unseen searches, a signed webhook) is loaded
-- first, from $WRK_SCRIPT. wrk runs done() in a Lua state of its own: each thread keeps its counts
-- in its globals, read back through the thread objects that setup() was given.
local inner = os.getenv("WRK_SCRIPT")
if inner and inner ~= "" then
  dofile(inner)
end

local expected = tonumber(os.getenv("EXPECT_STATUS") or "200")
local threads = {}

expect_responses = 0
expect_unexpected = 0
expect_statuses = {}

function setup(thread)
  table.insert(threads, thread)
end

function response(status, headers, body)
  expect_responses = expect_responses + 1
  if status ~= expected then
    expect_unexpected = expect_unexpected + 1
    expect_statuses[status] = (expect_statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local responses, unexpected, by_status = 0, 0, {}
  for _, thread in ipairs(threads) do
    responses = responses + thread:get("expect_responses")
    unexpected = unexpected + thread:get("expect_unexpected")
    for status, n in pairs(thread:get("expect_statuses")) do
      by_status[status] = (by_status[status] or 0) + n
    end
  end
  local codes = {}
  for status in pairs(by_status) do
    codes[#codes + 1] = status
  end
  table.sort(codes)
  local parts = {}
  for _, status in ipairs(codes) do
    parts[#parts + 1] = string.format("%dx%d", status, by_status[status])
  end
  io.write(string.format("expect: responses %d unexpected %d statuses %s\n", responses, unexpected, #parts > 0 and table.concat(parts, ",") or "-"))
end
