SELECT s.state, u.id AS user_id, u.enterprise_id, u.partner_id, u.role, u.email,
       u.first_name, u.surname, e.name AS enterprise_name,
       p.name AS partner_name, p.status AS partner_status,
       s.expires_at < LEAST(now() + make_interval(secs => $2), s.absolute_expires_at)
                      - interval '60 seconds' AS slide_due
  FROM sessions s
  LEFT JOIN users u ON u.id = s.user_id AND u.disabled_at IS NULL
  LEFT JOIN enterprises e ON e.id = u.enterprise_id
  LEFT JOIN partners p ON p.id = u.partner_id
 WHERE s.key_hash = $1 AND s.expires_at > now()
