-- The Activity pages' action filter lists the distinct actions present. With these indexes the
-- query hops from one action to the next (a handful of index probes) instead of reading every
-- event of the enterprise or partner (milliseconds per page view at 10,000 events).
CREATE INDEX audit_events_partner_action ON audit_events (partner_id, enterprise_id, action);
CREATE INDEX audit_events_enterprise_action ON audit_events (enterprise_id, action);
