SELECT p.id, p.enterprise_id, p.name, p.status, p.created_at, p.updated_at, p.deactivated_at,
       p.created_by, p.account_admin_user_id, p.organisation_id, p.ended_by, p.requested_by,
       l.updated_at AS logo_updated_at,
       ARRAY(
           WITH RECURSIVE a(action) AS (
               (SELECT action FROM audit_events WHERE partner_id = p.id AND enterprise_id = $1
                 ORDER BY action LIMIT 1)
               UNION ALL
               SELECT (SELECT e.action FROM audit_events e
                        WHERE e.partner_id = p.id AND e.enterprise_id = $1 AND e.action > a.action
                        ORDER BY e.action LIMIT 1)
                 FROM a WHERE a.action IS NOT NULL
           )
           SELECT action FROM a WHERE action IS NOT NULL
       ) AS actions
  FROM partners p
  LEFT JOIN partner_logos l ON l.partner_id = p.id
 WHERE p.id = $2 AND p.enterprise_id = $1
