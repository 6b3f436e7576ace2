-- wrk script: each request saves a new week (the first PUT, version 0) of user
-- $USER_ID with five 8-hour cells on project $PROJECT_ID, as token $TOKEN.
-- wrk -t2 -c16 -d15s --latency -s bench/wrk/timesheet_save.lua http://127.0.0.1:8199
local token = os.getenv("TOKEN") or error("set TOKEN")
local project = os.getenv("PROJECT_ID") or "1"
local user = os.getenv("USER_ID") or "1"
local first_monday = 1794787200 -- 2026-11-16T00:00:00Z
local day = 86400

local threads = {}
function setup(thread)
  thread:set("offset", #threads * 20000)
  table.insert(threads, thread)
end

local counter, offset = 0, 0
function init(args)
  offset = tonumber(wrk.thread:get("offset")) or 0
end

function request()
  counter = counter + 1
  local monday = first_monday + (offset + counter) * 7 * day
  local cells = {}
  for d = 0, 4 do
    cells[#cells + 1] = string.format(
      '{"project_id":%s,"date":"%s","minutes":480,"note":"bench"}',
      project, os.date("!%Y-%m-%d", monday + d * day))
  end
  local body = '{"version":0,"entries":[' .. table.concat(cells, ",") .. ']}'
  local path = "/api/v1/timesheets/" .. user .. "/" .. os.date("!%Y-%m-%d", monday)
  return wrk.format("PUT", path,
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end
