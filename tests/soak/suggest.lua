-- suggest.lua - wrk script: POST ticket texts to /v1/suggest in turn.
--   wrk ... -s suggest.lua URL -- KEY
local key
local bodies = {
  '{"subject":"VPN keeps disconnecting","description":"GlobalConnect drops every few minutes at home since the update"}',
  '{"subject":"printer jammed","description":"the FollowMe printer on floor 3 says paper jam J052 and my job is stuck"}',
  '{"subject":"outlook not syncing","description":"my inbox has not updated since this morning, webmail works"}',
  '{"subject":"忘记密码","description":"我忘记了 KestrelID 的密码，手机也换了，无法收到验证码"}',
  '{"subject":"MFA new phone","description":"I got a new phone and the authenticator app has no codes for my account"}',
}
local i = 0
function init(args) key = args[1] end
function request()
  i = i % #bodies + 1
  return wrk.format("POST", "/v1/suggest",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key},
    bodies[i])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"rps":%.1f,"errors":%d,"non2xx":%d,"p99_us":%d}\n',
    summary.requests, summary.requests / (summary.duration / 1e6),
    e.connect + e.read + e.write + e.timeout, e.status, latency:percentile(99)))
end
