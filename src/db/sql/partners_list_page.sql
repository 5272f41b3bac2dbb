WITH listed AS (
     SELECT p.id, p.name, p.status, p.created_at, p.organisation_id,
            row_number() OVER (
              ORDER BY p.status IN ('deactivated', 'declined'),
                       CASE WHEN $6 = 'name' AND $7 = 'asc' THEN lower(p.name) END ASC,
                       CASE WHEN $6 = 'name' AND $7 = 'desc' THEN lower(p.name) END DESC,
                       CASE WHEN $6 = 'status' AND $7 = 'asc' THEN p.status END ASC,
                       CASE WHEN $6 = 'status' AND $7 = 'desc' THEN p.status END DESC,
                       CASE WHEN $6 = 'created' AND $7 = 'asc' THEN p.created_at END ASC,
                       CASE WHEN $6 = 'created' AND $7 = 'asc' THEN p.id END ASC,
                       p.created_at DESC, p.id DESC) AS ord,
            count(*) OVER () AS matched
       FROM partners p
      WHERE p.enterprise_id = $1
        AND ($3 OR $4::text IS NOT NULL OR p.status IN ('requested', 'invited', 'active'))
        AND ($4::text IS NULL OR p.status = $4)
        AND ($5::text IS NULL
             OR strpos(lower(p.name), lower($5)) > 0
             -- Within one domain, never across two.
             OR EXISTS (SELECT 1 FROM partner_summaries ms, unnest(string_to_array(ms.domains, ', ')) AS d(domain)
                         WHERE ms.partner_id = p.id AND strpos(lower(d.domain), lower($5)) > 0))
), page AS (
     -- A page past the end shows the last one.
     SELECT * FROM listed
      WHERE ord > LEAST($8, GREATEST(matched - 1, 0) / $9 * $9)
        AND ord <= LEAST($8, GREATEST(matched - 1, 0) / $9 * $9) + $9
), usage AS (
     SELECT count(*) FILTER (WHERE status IN ('requested', 'invited', 'active')) AS live, count(*) AS total
       FROM partners WHERE enterprise_id = $1
)
SELECT e.partner_limit::bigint AS partner_limit, dr.id AS draft_id, dr.name AS draft_name,
       u.live, u.total, COALESCE(p.matched, 0) AS matched,
       p.id, p.name, p.status, p.created_at, m.has_logo, l.updated_at AS logo_updated_at, m.domains,
       m.admin_name, m.admin_email, m.admin_pending,
       m.product_count::bigint AS product_count, m.api_count::bigint AS api_count, o.partner_code
  FROM enterprises e
 CROSS JOIN usage u
  LEFT JOIN LATERAL (
       SELECT id, name FROM partner_drafts
        WHERE enterprise_id = e.id AND created_by = $2 AND submitted_partner_id IS NULL
        ORDER BY updated_at DESC LIMIT 1
  ) dr ON true
  LEFT JOIN page p ON true
  LEFT JOIN partner_summaries m ON m.partner_id = p.id
  LEFT JOIN partner_logos l ON l.partner_id = p.id
  LEFT JOIN partner_organisations o ON o.id = p.organisation_id
 WHERE e.id = $1
 ORDER BY p.ord
