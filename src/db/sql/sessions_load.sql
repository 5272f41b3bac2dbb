SELECT s.state, u.id AS user_id, u.email, u.first_name, u.surname,
       m.id AS membership_id, m.enterprise_id, m.partner_id, m.role,
       m.enterprise_name, m.enterprise_time_zone, m.partner_name, m.partner_status,
       CASE WHEN u.id IS NULL THEN 0
            WHEN m.id IS NOT NULL AND (m.partner_id IS NULL OR m.partner_status IN ('invited', 'active')) THEN 1
            ELSE (SELECT count(*) FROM memberships c LEFT JOIN partners cp ON cp.id = c.partner_id
                   WHERE c.user_id = u.id AND c.ended_at IS NULL
                     AND (c.partner_id IS NULL OR cp.status IN ('invited', 'active')))
       END AS usable_memberships,
       s.expires_at, s.absolute_expires_at,
       s.expires_at < LEAST(now() + make_interval(secs => $2), s.absolute_expires_at)
                      - interval '60 seconds' AS slide_due
  FROM sessions s
  -- LATERAL ... LIMIT 1: one keyed lookup each, in a nested loop. Plain joins let the planner
  -- hash the small people and membership tables on every request (measured with pgbench
  -- -M prepared on the bench data: about a fifth slower).
  LEFT JOIN LATERAL (
       SELECT u.id, u.email, u.first_name, u.surname FROM users u WHERE u.id = s.user_id LIMIT 1
  ) u ON true
  LEFT JOIN LATERAL (
       SELECT m.id, m.enterprise_id, m.partner_id, m.role, e.name AS enterprise_name,
              e.time_zone AS enterprise_time_zone,
              p.name AS partner_name, p.status AS partner_status
         FROM memberships m
         JOIN enterprises e ON e.id = m.enterprise_id
         LEFT JOIN partners p ON p.id = m.partner_id
        WHERE m.id = s.membership_id AND m.user_id = s.user_id AND m.ended_at IS NULL
        LIMIT 1
  ) m ON true
 WHERE s.key_hash = $1 AND s.expires_at > now()
