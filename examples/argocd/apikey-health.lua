-- Argo CD health check for keyward.io/ApiKey.
-- Healthy: the key is issued and Ready (Active, or Expiring while it still verifies).
-- Progressing: the operator has not caught up yet, or the key waits for something that comes by
--   itself or by a routine step (a slot, a TOTP code, its ApiUser).
-- Suspended: its ApiUser is suspended.
-- Degraded: it needs a fix (invalid spec, namespace not allowed, Secret name taken) or no longer
--   works (expired, revoked, not Ready while issued).
local hs = {}
if obj.status == nil or obj.status.phase == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for Keyward to reconcile the key"
  return hs
end
local generation = obj.metadata.generation
local observed = obj.status.observedGeneration
if generation ~= nil and observed ~= nil and observed < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for Keyward to apply generation " .. generation
  return hs
end
local ready = nil
if obj.status.conditions ~= nil then
  for _, c in ipairs(obj.status.conditions) do
    if c.type == "Ready" then
      ready = c
    end
  end
end
local phase = obj.status.phase
hs.message = phase
if ready ~= nil and ready.message ~= nil then
  hs.message = ready.message
end
local reason = ready ~= nil and ready.reason or nil
if reason == "UserSuspended" then
  hs.status = "Suspended"
elseif phase == "Invalid" or phase == "Expired" or phase == "Revoked"
    or reason == "InvalidSpec" or reason == "NamespaceNotAllowed" or reason == "SecretConflict" then
  hs.status = "Degraded"
elseif phase == "Active" or phase == "Expiring" then
  if ready ~= nil and ready.status == "True" then
    hs.status = "Healthy"
  else
    hs.status = "Degraded"
  end
else
  hs.status = "Progressing"
end
return hs
