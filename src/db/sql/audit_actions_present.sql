WITH RECURSIVE a(action) AS (
    (SELECT action FROM audit_events WHERE enterprise_id = $1 ORDER BY action LIMIT 1)
    UNION ALL
    SELECT (SELECT e.action FROM audit_events e
             WHERE e.enterprise_id = $1 AND e.action > a.action
             ORDER BY e.action LIMIT 1)
      FROM a WHERE a.action IS NOT NULL
)
SELECT action FROM a WHERE action IS NOT NULL
